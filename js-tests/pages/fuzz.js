// Page side of the random-argument fuzz (browser/fuzz.test.mjs): thousands of calls of
// every exported function, static method, method and getter of the package (MockBackend,
// PinAuth, isPinAuthError, the default init and initSync, and the unsubscribe functions
// that onStateChange/onWarning return), with arguments drawn by a seeded PRNG from
// numbers, NaN, ±Infinity, strings of odd lengths and characters (lone surrogates, NUL,
// RTL, emoji), huge strings, null, undefined, objects, arrays, proxies (with throwing
// traps, revoked), functions (throwing, re-entrant), symbols, bigints, DOM nodes — mixed
// with plausible values (real emails, passwords, PINs, reset tokens, protocol JSON, option
// objects) so that the flows go deep: accounts are made, PINs set, devices unlocked.
//
// Every synchronous throw and every rejection must be a PinAuthError; nothing may stay
// pending; a wasm panic (a RuntimeError: unreachable, since the release build aborts on
// panic) would show as a non-PinAuthError and then break every later call, which the
// full flow run afterwards checks. An INTERNAL is a failure too, except the one a fake
// backend asks for (a code the client does not know). Not fuzzed: `free()` /
// `Symbol.dispose` (freeing at random would end the flows before they go deep;
// errors.test.mjs covers calls on freed objects), the glue's internal `__wrap`, and
// prototype methods called on foreign `this` values (glue, not this API). Any PIN prompt
// a call opens is cancelled by a watcher (its promise rejects with CANCELLED).
//
// The same seed replays the same sequence of calls and arguments; the interleaving of the
// calls that are not awaited may still differ with timing.
import init, { initSync, MockBackend, PinAuth, isPinAuthError } from "pinauth";
import { describe } from "./common.js";

/** The message of a fake backend's error reply with a code the client does not know. */
const UNKNOWN_CODE = "an error code of a newer server";

/** sfc32, seeded through splitmix32: a small, fast, good-enough PRNG. */
function prng(seed) {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let [a, b, c, d] = [split(), split(), split(), split()];
  return () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}

const PASSWORDS = ["correct horse battery", "another long passphrase"];
const PASSWORD = PASSWORDS[0];
const STRONG_PINS = ["730519", "482916", "5938", "81726354"];
const STATES = new Set(["signedOut", "pinSetupRequired", "pinRequired", "signedIn"]);
const PROMPT_STRING_KEYS = ["setupTitle", "unlockTitle", "submit", "cancel", "wrongPin", "incomplete", "reasonCommon"];

export async function fuzz({ seed = 1, calls = 3000, timeoutMs = 15_000 } = {}) {
  const random = prng(seed);
  const int = (n) => Math.floor(random() * n);
  const chance = (p) => random() < p;
  const pick = (list) => list[int(list.length)];
  const startedAt = performance.now();

  // ---- what the calls act on ----
  const backends = [MockBackend.create()];
  const auths = [];
  const unsubscribers = [];
  const containers = [];
  const emails = ["ann@example.com", "bob@example.com", "Ann@Example.com ", "carol@example.com"];
  let reentrant = 0;
  let listenerCalls = 0;

  // ---- values ----
  const alphabets = [
    "0123456789",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_",
    "@.+ \t\n\"'\\{}[]:,",
    "\u0000\u0001\u001f\u007f\u00a0\u200b\u200e\u202e\ufeff\ufffd",
    "éüñçß٠١٢٣٤٥٦٧٨٩０１２３",
    "😀👩‍👩‍👧🏳️‍🌈",
    "\ud800\udbff\udc00\udfff", // lone surrogates, one UTF-16 unit each
  ];
  const randomString = (max = 40) => {
    const alphabet = pick(alphabets);
    const units = [...alphabet];
    let s = "";
    for (let i = int(max); i > 0; i--) s += pick(units);
    return s;
  };
  const digits = (n) => Array.from({ length: n }, () => int(10)).join("");
  const base64url = (n) => Array.from({ length: n }, () => pick([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"])).join("");
  const huge = ["7".repeat(1 << 20), "x".repeat(70_000), "\ud800".repeat(100_000), "0".repeat(65)];

  const element = () => {
    const made = pick([
      () => document.createElement("div"),
      () => {
        const div = document.createElement("section");
        document.body.append(div);
        return div;
      },
      () => document.body,
      () => document.createElement("input"),
      () => document.createElementNS("http://www.w3.org/2000/svg", "svg"),
      () => document.implementation.createHTMLDocument("other").createElement("div"),
    ])();
    containers.push(made);
    return made;
  };

  const functions = () =>
    pick([
      () => {},
      () => {
        throw new Error("listener throws");
      },
      (x) => {
        listenerCalls++;
        // A listener that calls back into the SDK while it is being notified.
        const auth = pick(auths);
        if (auth && reentrant++ < 200) {
          void auth.state;
          void auth.user;
          auth.getAccessToken().catch(() => {});
        }
        return x;
      },
      function* generator() {},
      class Listener {},
      Math.max,
      () => new Promise(() => {}),
    ]);

  const proxy = () => {
    const target = pick([{}, { appId: "p", backend: backends[0] }, [], () => {}]);
    const thrower = () => {
      throw new Error("trap");
    };
    return pick([
      () => new Proxy(target, {}),
      () => new Proxy(target, { get: thrower }),
      () => new Proxy(target, { ownKeys: thrower }),
      () => new Proxy(target, { getOwnPropertyDescriptor: thrower }),
      () => new Proxy(target, { has: thrower, getPrototypeOf: thrower }),
      () => new Proxy(target, { ownKeys: () => ["backend", "appId", "backend"] }),
      () => {
        const { proxy, revoke } = Proxy.revocable(target, {});
        revoke();
        return proxy;
      },
    ])();
  };

  /** Anything at all. */
  function junk(depth = 0) {
    const kinds = [
      () => pick([0, -0, 1, -1, 6, 42, 3.5, 2 ** 31, 2 ** 32 + 1, 2 ** 53 + 2, -(2 ** 63), Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON]),
      () => pick([NaN, Infinity, -Infinity]),
      () => (random() - 0.5) * 10 ** int(20),
      () => randomString(pick([0, 1, 3, 7, 64, 321, 1025])),
      () => pick(huge),
      () => pick([null, undefined, true, false]),
      () => pick([{}, Object.create(null), { toString: () => "730519" }, { valueOf: () => 6 }, new Date(NaN), /re/g, new Map(), new Error("x")]),
      () => ({ get backend() { throw new Error("getter"); }, get mode() { throw new Error("getter"); } }),
      () => (depth < 2 ? Array.from({ length: int(4) }, () => junk(depth + 1)) : []),
      () => Object.assign([], { length: 2 ** 32 - 1 }),
      () => new Uint8Array(int(64)),
      () => new ArrayBuffer(8),
      proxy,
      functions,
      () => pick([Symbol("fuzz"), Symbol.iterator]),
      () => pick([0n, -1n, 10n ** 40n]),
      element,
      () => document.createTextNode("text"),
      () => pick([window, document, globalThis.crypto]),
      () => Promise.resolve("730519"),
      () => pick(backends),
      () => pick(auths) ?? null,
      () => (depth < 2 ? Object.fromEntries(Array.from({ length: int(4) }, () => [randomString(8), junk(depth + 1)])) : {}),
    ];
    return pick(kinds)();
  }

  // ---- plausible values ----
  const email = () => (chance(0.8) ? pick(emails) : `${randomString(6)}@${randomString(6)}.io`);
  const password = () => (chance(0.9) ? PASSWORD : chance(0.5) ? PASSWORDS[1] : randomString(20));
  const pin = () =>
    chance(0.6)
      ? pick(STRONG_PINS.slice(0, 2))
      : pick([() => pick(STRONG_PINS), () => digits(pick([4, 5, 6, 7, 8, 9])), () => pick(["111111", "123456", "12ab56", "٧٣٠٥١٩", " 730519", ""])])();
  // The reset tokens last found in an outbox (reading one is asynchronous, arguments are not).
  let mailed = [];
  const checkMail = async () => {
    const mail = await pick(backends).outbox(pick(emails));
    if (mail.length) mailed = mail.map((m) => m.resetToken);
  };
  const resetToken = () =>
    chance(0.7) && mailed.length ? mailed.at(-1) : pick([base64url(43), base64url(42), "AAAA", ""]);
  const reauthToken = () => pick([base64url(43), base64url(44), "", "not a token"]);
  const protocolJson = () => {
    const bodies = [
      { endpoint: "register", email: email(), password: password() },
      { endpoint: "login", email: email(), password: password(), deviceId: base64url(22) },
      { endpoint: "challenge", deviceId: chance(0.5) ? base64url(22) : pick(auths)?.deviceId },
      { endpoint: "forgotPin", email: email() },
      { endpoint: "logout", sessionToken: base64url(43) },
      { endpoint: "validateReauth", reauthToken: base64url(43) },
      { endpoint: "listDevices", accessToken: base64url(43) },
      { endpoint: pick(["setPin", "loginWithPin", "changePin", "resetPin", "revokeDevice", "nope"]), deviceId: base64url(22), challenge: base64url(43), signature: base64url(86) },
    ];
    const body = pick(bodies);
    if (chance(0.3)) body[pick(Object.keys(body))] = junk();
    const text = (() => {
      try {
        return JSON.stringify(body);
      } catch {
        return "{}";
      }
    })();
    return chance(0.2) ? text.slice(0, int(text.length)) : text;
  };

  /** A transport for PinAuth: the real backend, a re-entrant one, or a broken one. */
  const fakeBackend = () => {
    const real = pick(backends);
    if (chance(0.5)) return real;
    return pick([
      () => ({ handle: (json) => real.handle(json) }),
      () => ({ handle: async (json) => (await new Promise((ok) => setTimeout(ok, int(5))), real.handle(json)) }),
      () => ({
        handle(json) {
          const auth = pick(auths);
          if (auth && reentrant++ < 200) {
            void auth.state;
            auth.logout().catch(() => {});
          }
          return real.handle(json);
        },
      }),
      () => ({ handle: () => pick(["", "{", "null", '{"ok":{}}', `{"error":{"code":"NOPE","message":"${UNKNOWN_CODE}"}}`, '{"ok":{"endpoint":"login"}}']) }),
      () => ({ handle: () => junk() }),
      () => ({ handle: () => { throw new Error("handle throws"); } }),
      () => ({ handle: () => Promise.reject(new Error("handle rejects")) }),
      () => ({ get handle() { throw new Error("getter"); } }),
      () => ({ handle: "not a function" }),
    ])();
  };

  const appId = () => (chance(0.85) ? pick(["app", "app", "other", "x.y-z_1"]) : junk());
  const pinAuthOptions = () => {
    const options = {};
    if (chance(0.95)) options.backend = chance(0.8) ? fakeBackend() : junk();
    if (chance(0.7)) options.appId = appId();
    if (chance(0.4)) options.storage = chance(0.8) ? pick(["local", "session", "memory"]) : junk();
    if (chance(0.2)) options.accessTokenStorage = chance(0.8) ? pick(["memory", "session"]) : junk();
    if (chance(0.2)) options.pinLength = chance(0.7) ? pick([4, 6, 8]) : junk();
    if (chance(0.2)) options.accessTokenLeewaySeconds = chance(0.6) ? int(60) : junk();
    if (chance(0.05)) options[randomString(5)] = junk();
    return options;
  };
  const backendOptions = () => {
    const options = {};
    if (chance(0.15)) options.persistKey = chance(0.7) ? `fuzz-${int(3)}` : junk();
    for (const key of ["accessTokenTtlSeconds", "pinSessionTtlSeconds", "reauthTokenTtlSeconds", "maxPinAttempts", "maxPasswordAttempts", "passwordLockoutSeconds"]) {
      if (chance(0.1)) options[key] = chance(0.6) ? 1 + int(100) : junk();
    }
    if (chance(0.05)) options[randomString(5)] = junk();
    return options;
  };
  const promptOptions = () => {
    const options = {};
    if (chance(0.6)) options.mode = chance(0.8) ? pick(["auto", "reauth", "change"]) : junk();
    if (chance(0.2)) options.title = chance(0.7) ? randomString(30) : junk();
    if (chance(0.2)) options.subtitle = chance(0.7) ? randomString(30) : junk();
    if (chance(0.2)) options.strings = chance(0.7) ? Object.fromEntries(PROMPT_STRING_KEYS.filter(() => chance(0.3)).map((k) => [k, chance(0.8) ? randomString(20) : junk()])) : junk();
    if (chance(0.3)) options.container = chance(0.8) ? element() : junk();
    if (chance(0.05)) options[randomString(5)] = junk();
    return options;
  };

  /** `plausible` most of the time, anything otherwise. */
  const arg = (plausible, p = 0.75) => (chance(p) ? plausible() : junk());
  const args = (...plausible) => {
    const list = plausible.map((make) => arg(make));
    if (chance(0.1)) list.pop();
    if (chance(0.1)) list.push(junk());
    return list;
  };

  // ---- the calls: [name, weight, () => the call's result] ----
  const anAuth = () => pick(auths);
  const aBackend = () => pick(backends);
  const targets = [
    ["MockBackend.create", 1, () => {
      const backend = MockBackend.create(...(chance(0.8) ? [backendOptions()] : args(junk)));
      if (backends.length < 3) backends.push(backend);
      else backends[int(backends.length)] = backend;
      return backend;
    }],
    ["PinAuth.create", 4, () =>
      PinAuth.create(...(chance(0.85) ? [pinAuthOptions()] : args(junk))).then((auth) => {
        if (auths.length < 8) auths.push(auth);
        else auths[int(auths.length)] = auth;
        return auth;
      })],
    ["isPinAuthError", 2, () => isPinAuthError(...args(junk))],
    ["init", 0.3, () => init(...args(junk))],
    ["initSync", 0.3, () => initSync(...args(junk))],
    ["backend.handle", 8, () => aBackend().handle(...args(protocolJson))],
    ["backend.outbox", 3, () => aBackend().outbox(...args(email))],
    ["backend.devices", 3, () => aBackend().devices(...args(email))],
    ["backend.validateReauthToken", 3, () => aBackend().validateReauthToken(...args(reauthToken))],
    ["backend.clear", 0.1, () => aBackend().clear(...args())],
    ["auth.state", 3, () => anAuth()?.state],
    ["auth.user", 3, () => anAuth()?.user],
    ["auth.deviceId", 2, () => anAuth()?.deviceId],
    ["auth.onStateChange", 2, () => {
      const off = anAuth()?.onStateChange(...args(functions));
      if (typeof off === "function") unsubscribers.push(off);
      return off;
    }],
    ["auth.onWarning", 2, () => {
      const off = anAuth()?.onWarning(...args(functions));
      if (typeof off === "function") unsubscribers.push(off);
      return off;
    }],
    ["unsubscribe", 1, () => pick(unsubscribers)?.(...args(junk))],
    ["auth.register", 4, () => anAuth()?.register(...args(email, password))],
    ["auth.login", 5, () => anAuth()?.login(...args(email, password))],
    ["auth.setPin", 4, () => anAuth()?.setPin(...args(pin))],
    ["auth.loginWithPin", 4, () => anAuth()?.loginWithPin(...args(pin))],
    ["auth.reauthenticate", 3, () => anAuth()?.reauthenticate(...args(pin))],
    ["auth.changePin", 2, () => anAuth()?.changePin(...args(pin, pin))],
    ["auth.forgotPin", 2, () => anAuth()?.forgotPin(...args(email))],
    ["auth.resetPin", 2, async () => {
      if (chance(0.7)) await checkMail();
      return anAuth()?.resetPin(...args(resetToken, pin));
    }],
    ["auth.logout", 1, () => anAuth()?.logout(...args())],
    ["auth.forgetDevice", 0.3, () => anAuth()?.forgetDevice(...args())],
    ["auth.getAccessToken", 2, () => anAuth()?.getAccessToken(...args())],
    ["auth.checkPin", 3, () => anAuth()?.checkPin(...args(pin))],
    // Sign-up, password login and PIN setup in a row with plausible values, so that the
    // random calls around it find clients in every state.
    ["enrol", 2, async () => {
      const auth = anAuth();
      const who = pick(emails.slice(0, 2));
      await auth?.register(who, PASSWORD).catch(() => {});
      const state = await auth?.login(who, PASSWORD);
      return state === "pinSetupRequired" ? auth.setPin(pick(STRONG_PINS.slice(0, 2))) : state;
    }],
    // A whole visit on a backend of its own, so that no random call can lock its account or
    // clear it: sign-up, PIN setup, a reload, the PIN unlock and a step-up. Its clients then
    // join the pool, so the random calls also act on signed-in and PIN-locked clients.
    ["unlock", 1, async () => {
      const backend = MockBackend.create();
      const appId = `unlock-${int(1e9)}`;
      const first = await PinAuth.create({ backend, appId });
      const who = pick(emails.slice(0, 2));
      const pinCode = pick(STRONG_PINS);
      await first.register(who, PASSWORD);
      await first.login(who, PASSWORD);
      await first.setPin(pinCode);
      const later = await PinAuth.create({ backend, appId });
      const before = later.state;
      await later.loginWithPin(pinCode);
      const { token } = await later.reauthenticate(pinCode);
      if (before !== "pinRequired" || later.state !== "signedIn" || !(await backend.validateReauthToken(token)).valid) {
        throw new Error(`unlock went ${before} → ${later.state}`);
      }
      backends[int(backends.length)] = backend;
      auths.push(first, later);
      if (auths.length > 8) auths.splice(0, auths.length - 8);
    }],
    ["auth.promptPin", 3, () => anAuth()?.promptPin(...(chance(0.8) ? [promptOptions()] : args(junk)))],
  ];
  const totalWeight = targets.reduce((sum, [, w]) => sum + w, 0);
  const chooseTarget = () => {
    let x = random() * totalWeight;
    for (const target of targets) if ((x -= target[1]) < 0) return target;
    return targets[0];
  };

  // ---- cancel every PIN prompt that opens ----
  let prompts = 0;
  const closePrompts = () => {
    const hosts = new Set(document.querySelectorAll("[data-pinauth-prompt]"));
    for (const c of containers) for (const h of c.querySelectorAll?.("[data-pinauth-prompt]") ?? []) hosts.add(h);
    for (const host of hosts) {
      const cancel = host.shadowRoot?.querySelector('[data-action="cancel"]');
      if (cancel) {
        prompts++;
        cancel.click();
      }
    }
  };
  const closer = setInterval(closePrompts, 5);

  // ---- run ----
  const counts = {};
  const failures = [];
  const pendingCalls = [];
  const record = (index, name, ending, value) => {
    const c = (counts[name] ??= { returned: 0, threw: 0, resolved: 0, rejected: 0, codes: {} });
    c[ending]++;
    if (ending === "threw" || ending === "rejected") {
      const ok = isPinAuthError(value) && value instanceof Error && value.name === "PinAuthError";
      // INTERNAL only where a fake backend answered with a code the client does not know
      // (which reads as INTERNAL, with the server's message): anywhere else it is a defect.
      const internal = ok && value.code === "INTERNAL" && value.message !== UNKNOWN_CODE;
      if (ok && !internal) c.codes[value.code] = (c.codes[value.code] ?? 0) + 1;
      else if (failures.length < 20) failures.push({ index, name, ending, error: describe(value) });
    }
    if (name.startsWith("auth.state") && ending === "returned" && value !== undefined && !STATES.has(value)) {
      failures.push({ index, name, ending, error: { message: `state ${String(value)}` } });
    }
  };
  const settle = (index, name, promise) => {
    let timer;
    const timeout = new Promise((ok) => {
      timer = setTimeout(() => ok("pending"), timeoutMs);
    });
    return Promise.race([
      promise.then(
        (value) => record(index, name, "resolved", value),
        (error) => record(index, name, "rejected", error),
      ),
      timeout,
    ]).then((ending) => {
      clearTimeout(timer);
      if (ending === "pending") failures.push({ index, name, ending: "pending" });
    });
  };

  for (let index = 0; index < calls; index++) {
    const [name, , run] = chooseTarget();
    let result;
    try {
      result = run();
    } catch (error) {
      record(index, name, "threw", error);
      continue;
    }
    if (result instanceof Promise) {
      const settled = settle(index, name, result);
      // Most calls are awaited; some are left running while the next ones start.
      if (chance(0.75)) await settled;
      else pendingCalls.push(settled);
    } else {
      record(index, name, "returned", result);
    }
    if (pendingCalls.length > 20) await Promise.all(pendingCalls.splice(0));
  }
  await Promise.all(pendingCalls);
  clearInterval(closer);
  closePrompts();

  return {
    seed,
    calls,
    ms: Math.round(performance.now() - startedAt),
    counts,
    failures,
    prompts,
    listenerCalls,
    auths: auths.length,
    backends: backends.length,
    states: auths.map((a) => a.state),
    openPrompts: document.querySelectorAll("[data-pinauth-prompt]").length,
  };
}

/** After the fuzz, in the same wasm instance: the whole product still works. */
export async function fullFlow() {
  const email = `after-fuzz-${Date.now()}@example.com`;
  const backend = MockBackend.create();
  const auth = await PinAuth.create({ backend, appId: "after-fuzz" });
  await auth.register(email, PASSWORD);
  const login = await auth.login(email, PASSWORD);
  await auth.setPin("730519");
  const afterSetPin = auth.state;
  const later = await PinAuth.create({ backend, appId: "after-fuzz" });
  const laterState = later.state;
  await later.loginWithPin("730519");
  const { token } = await later.reauthenticate("730519");
  return {
    login,
    afterSetPin,
    laterState,
    afterUnlock: later.state,
    reauthValid: (await backend.validateReauthToken(token)).valid,
    weakPin: auth.checkPin("123456").ok,
  };
}
