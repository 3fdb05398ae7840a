// Page side of the error-shape test: provokes each kind of PinAuthError and reports it.
import init, { MockBackend, PinAuth, isPinAuthError } from "pinauth";
import { describe, outcome, freshEmail } from "./common.js";

const PASSWORD = "correct horse battery";
const PIN = "730519";

export async function errorShape() {
  const backend = MockBackend.create({ maxPasswordAttempts: 2 });
  const auth = await PinAuth.create({ backend, appId: "errors" });
  const email = freshEmail("errors");
  await auth.register(email, PASSWORD);
  const taken = await outcome(() => auth.register(email, PASSWORD));
  const loggedIn = await auth.login(email, PASSWORD);

  // A weak PIN: refused with the same reason checkPin gives.
  const weak = await outcome(() => auth.setPin("123456"));
  const check = auth.checkPin("123456");
  await auth.setPin(PIN);

  // A wrong PIN on a later visit.
  const later = await PinAuth.create({ backend, appId: "errors" });
  const laterState = later.state;
  const wrongPin = await outcome(() => later.loginWithPin("730591"));
  const notSignedIn = await outcome(() => later.getAccessToken());

  // Password lockout of another account (maxPasswordAttempts: 2).
  const victim = freshEmail("locked");
  await auth.register(victim, PASSWORD);
  const passwordAttempts = [];
  for (let i = 0; i < 4; i++) {
    const o = await outcome(() => auth.login(victim, "wrong password"));
    passwordAttempts.push(o);
    if (o.error?.code === "ACCOUNT_LOCKED") break;
  }
  // A synchronous throw.
  const syncThrow = await outcome(() => MockBackend.create({ maxPinAttempts: 0 }));

  return {
    loggedIn,
    taken,
    weak,
    check,
    laterState,
    wrongPin,
    notSignedIn,
    passwordAttempts,
    syncThrow,
    // isPinAuthError on values that are not errors of this SDK.
    notPinAuthErrors: {
      "new Error('x')": isPinAuthError(new Error("x")),
      "new TypeError('x')": isPinAuthError(new TypeError("x")),
      "plain object { name, code }": isPinAuthError({ name: "PinAuthError", code: "INVALID_INPUT" }),
      "plain object { name, code, message }": isPinAuthError({ name: "PinAuthError", code: "INVALID_PIN", message: "m" }),
      "Error named PinAuthError without code": isPinAuthError(Object.assign(new Error("x"), { name: "PinAuthError" })),
      "Error named PinAuthError with an unknown code": isPinAuthError(Object.assign(new Error("x"), { name: "PinAuthError", code: "NOPE" })),
      null: isPinAuthError(null),
      undefined: isPinAuthError(undefined),
      "'PinAuthError'": isPinAuthError("PinAuthError"),
      "'INVALID_PIN'": isPinAuthError("INVALID_PIN"),
      "42": isPinAuthError(42),
      "{}": isPinAuthError({}),
    },
  };
}

/**
 * A backend adapter that misbehaves on demand: a `then` that answers at once (with a
 * real reply: the flow succeeds), a `then` that throws, a `handle` that throws or
 * rejects, a real reply padded to millions of characters, HTML, an answer that is not a
 * string, no answer at all (each of these TRANSPORT_FAILED, with what was thrown as its
 * `cause`); the same client works again once the adapter behaves.
 */
export async function misbehavingBackend() {
  const backend = MockBackend.create();
  // A real answer to a registration, for the adapter to give back at once.
  const registered = await backend.handle(JSON.stringify({ endpoint: "register", email: freshEmail("canned"), password: PASSWORD }));
  let mode = "normal";
  const thrown = { rejects: new Error("HTTP 502"), throws: new TypeError("adapter bug") };
  const adapter = {
    handle(json) {
      if (mode === "normal") return backend.handle(json);
      if (mode === "hang") return new Promise(() => {});
      // A real reply made longer than any reply (spaces are valid JSON around it).
      if (mode === "huge") return backend.handle(json).then((reply) => reply + " ".repeat(3_000_000));
      if (mode === "notJson") return Promise.resolve("<html>502 Bad Gateway</html>");
      if (mode === "rejects") return Promise.reject(thrown.rejects);
      if (mode === "throws") throw thrown.throws;
      if (mode === "nothing") return Promise.resolve(undefined);
      // `fetch`'s answer itself, without `.text()`.
      if (mode === "notString") return backend.handle(json).then((reply) => new Response(reply));
      const answer = Promise.resolve(registered);
      if (mode === "syncThen") answer.then = (ok) => ok(registered);
      if (mode === "throwingThen") answer.then = () => { throw new Error("then failed"); };
      return answer;
    },
  };
  const auth = await PinAuth.create({ backend: adapter, appId: "misbehaving" });
  const email = freshEmail("misbehaving");
  const r = {};
  for (const m of ["syncThen", "throwingThen", "huge", "notJson", "rejects", "throws", "nothing", "notString"]) {
    mode = m;
    r[m] = await outcome(() => auth.register(freshEmail(m), PASSWORD));
  }
  // The cause is the very value the adapter threw or rejected with, held as `new Error`'s
  // own: not enumerable, so neither JSON nor a spread of the error carries it.
  for (const m of ["rejects", "throws"]) {
    mode = m;
    r[`${m}Cause`] = await auth.register(freshEmail(m), PASSWORD).catch((e) =>
      e.cause === thrown[m] && !Object.keys(e).includes("cause") && !JSON.stringify(e).includes("cause"));
  }
  mode = "normal";
  r.afterwards = await outcome(() => auth.register(email, PASSWORD));
  r.login = await outcome(() => auth.login(email, PASSWORD));
  // A backend that never answers: a request fails after the timeout (30 s, shortened to
  // 50 ms here), and a logout called behind a hanging flow still signs out.
  const realSetTimeout = globalThis.setTimeout;
  globalThis.setTimeout = (f, ms, ...rest) => realSetTimeout(f, ms === 30_000 ? 50 : ms, ...rest);
  try {
    mode = "hang";
    const hanging = outcome(() => auth.login(email, PASSWORD));
    r.logoutBehindHang = await outcome(() => auth.logout());
    r.hang = await hanging;
    r.stateAfterLogout = auth.state;
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  return r;
}

/**
 * A server that adds fields of its own to every object of its replies (as a later version
 * of the protocol may): the client ignores them, and every flow works. A reply that leaves
 * out a field the protocol requires (a token's `expiresIn`) is an unexpected reply.
 */
export async function decoratedReplies() {
  const backend = MockBackend.create();
  let strip = false;
  // `pin` holds exactly one of `pinSession` and `pinAuth`, like an enum: not decorated.
  const decorate = (value, key) => {
    if (Array.isArray(value)) return value.map((item) => decorate(item));
    if (!value || typeof value !== "object") return value;
    const out = key === "pin" ? {} : { serverNote: "added by a newer server", requestId: 7 };
    for (const [k, v] of Object.entries(value)) {
      if (!(strip && k === "expiresIn")) out[k] = decorate(v, k);
    }
    return out;
  };
  const adapter = {
    async handle(json) {
      const reply = JSON.parse(await backend.handle(json));
      return JSON.stringify(reply.ok ? { ok: decorate(reply.ok) } : reply);
    },
  };
  const auth = await PinAuth.create({ backend: adapter, appId: "decorated" });
  const email = freshEmail("decorated");
  const r = {};
  r.register = await outcome(() => auth.register(email, PASSWORD));
  r.login = await outcome(() => auth.login(email, PASSWORD));
  r.setPin = await outcome(() => auth.setPin(PIN));
  const reauth = await outcome(() => auth.reauthenticate(PIN));
  r.reauth = { kind: reauth.kind, keys: Object.keys(reauth.value ?? {}).sort() };
  r.changePin = await outcome(() => auth.changePin(PIN, "281946"));
  r.logout = await outcome(() => auth.logout());
  r.loginAgain = await outcome(() => auth.login(email, PASSWORD));
  r.unlock = await outcome(() => auth.loginWithPin("281946"));
  r.state = auth.state;
  strip = true;
  r.stripped = await outcome(() => auth.reauthenticate("281946"));
  auth.free();
  return r;
}

/** Options objects without a prototype, or made in another realm (an iframe), are read. */
export async function optionsFromElsewhere() {
  const backend = MockBackend.create();
  const frame = document.createElement("iframe");
  document.body.append(frame);
  const created = async (options) => (await outcome(() => PinAuth.create(options))).kind;
  const foreign = new frame.contentWindow.Object();
  Object.assign(foreign, { backend, appId: "elsewhere" });
  const r = {
    nullPrototype: await created(Object.assign(Object.create(null), { backend, appId: "elsewhere" })),
    otherRealm: await created(foreign),
    otherRealmArray: (await outcome(() => PinAuth.create(new frame.contentWindow.Array()))).error?.code,
  };
  frame.remove();
  return r;
}

/**
 * Calls on freed objects, and methods called with another `this`: each a PinAuthError,
 * tens of thousands of times, and the module still works for the page afterwards.
 */
export async function freedObjects() {
  const backend = MockBackend.create();
  const auth = await PinAuth.create({ backend, appId: "freed" });
  auth.free();
  const r = {
    state: await outcome(() => auth.state),
    checkPin: await outcome(() => auth.checkPin("482916")),
    onStateChange: await outcome(() => auth.onStateChange(() => {})),
    login: await outcome(() => auth.login("ann@example.com", PASSWORD)),
    promptPin: await outcome(() => auth.promptPin()),
    promptConfig: await outcome(() => auth.__promptConfig(undefined, false)),
    promptOtherThis: await outcome(() => PinAuth.prototype.promptPin.call({})),
    freeAgain: await outcome(() => auth.free()),
    dispose: await outcome(() => auth[Symbol.dispose]?.()),
    otherThis: await outcome(() => PinAuth.prototype.checkPin.call({}, "482916")),
  };
  const gone = MockBackend.create();
  gone.free();
  r.handle = await outcome(() => gone.handle("{}"));
  for (let i = 0; i < 30_000; i++) {
    try { auth.state; } catch {}
    try { PinAuth.prototype.checkPin.call({}, "1"); } catch {}
    gone.outbox("ann@example.com").catch(() => {});
  }
  const fresh = await PinAuth.create({ backend, appId: "freed-after" });
  const email = freshEmail("freed");
  await fresh.register(email, PASSWORD);
  r.afterwards = await outcome(() => fresh.login(email, PASSWORD));
  return r;
}

/**
 * After a PIN flow and a sign-out, the module's memory (which any script of the page can
 * read) holds no request with a PIN proof and none of the access, re-auth and PIN session
 * tokens: the client's and the in-page backend's copies were wiped.
 */
export async function memoryAfterSignOut() {
  const { memory } = await init();
  const backend = MockBackend.create();
  const auth = await PinAuth.create({ backend, appId: "memory" });
  const email = freshEmail("memory");
  await auth.register(email, PASSWORD);
  await auth.login(email, PASSWORD);
  await auth.setPin(PIN);
  const access = await auth.getAccessToken();
  const { token: reauth } = await auth.reauthenticate(PIN);
  const session = JSON.parse(localStorage.getItem("pinauth:memory:v1:pinSession")).token;
  await auth.logout();
  const text = new TextDecoder("latin1").decode(new Uint8Array(memory.buffer));
  const count = (needle) => text.split(needle).length - 1;
  return {
    pinProof: count('"pinProof"'),
    access: count(access),
    reauth: count(reauth),
    session: count(session),
    flowsRan: access.length > 0 && session.length > 0,
  };
}

/**
 * Right after an unlock, still signed in, the module's memory (which a script injected
 * later could read) holds none of the blocks BLAKE2b hashed: the signed request's fields
 * (the PIN session token and the PIN proof, after their domain and length) and the PIN
 * verifier's input (the proof, keyed with the backend's pepper). BLAKE2b keeps its
 * input's last block in its state without wiping it; the stack it ran on is wiped.
 */
export async function memoryAfterUnlock() {
  const { memory } = await init();
  const backend = MockBackend.create();
  const appId = "memory-unlock";
  const first = await PinAuth.create({ backend, appId });
  const email = freshEmail("unlock");
  await first.register(email, PASSWORD);
  await first.login(email, PASSWORD);
  await first.setPin(PIN);
  first.free();
  const auth = await PinAuth.create({ backend, appId });
  await auth.loginWithPin(PIN);
  const text = new TextDecoder("latin1").decode(new Uint8Array(memory.buffer));
  // A domain, then the first field's length as 8 bytes big-endian (a length below 256).
  const blocks = (domain) => text.match(new RegExp(`${domain}\\x00{7}[\\x01-\\xff]`, "g"))?.length ?? 0;
  return {
    state: auth.state,
    requestFields: blocks("pinauth/v1/request-fields"),
    pinVerifier: blocks("pinauth/v1/pin-verifier"),
  };
}

/**
 * Huge strings where the SDK reads names, not values: an option key of 256 Mi units
 * (ASCII, then Latin-1) and an error `name` and `code` of 256 Mi units given to
 * isPinAuthError. Each is answered without copying the string into the module: its
 * memory grows by less than 16 MiB in all.
 */
export async function hugeNames() {
  const { memory } = await init();
  const backend = MockBackend.create();
  const before = memory.buffer.byteLength;
  const r = {
    asciiKey: await outcome(() => PinAuth.create({ backend, appId: "huge", ["x".repeat(2 ** 28)]: 1 })),
    latinKey: await outcome(() => PinAuth.create({ backend, appId: "huge", ["é".repeat(2 ** 28)]: 1 })),
    hugeName: isPinAuthError(Object.assign(new Error("x"), { name: "é".repeat(2 ** 28), code: "INVALID_INPUT" })),
    hugeCode: isPinAuthError(Object.assign(new Error("x"), { name: "PinAuthError", code: "é".repeat(2 ** 28) })),
  };
  r.grewMiB = Math.round((memory.buffer.byteLength - before) / 2 ** 20);
  r.afterwards = (await outcome(() => PinAuth.create({ backend, appId: "huge" }))).kind;
  return r;
}

/**
 * `free()` called by a state listener that the `state` getter fired (it saw the PIN
 * session gone from the storage): no throw, the object is freed, and the module keeps
 * working.
 */
export async function freeFromAListener() {
  const backend = MockBackend.create();
  const auth = await PinAuth.create({ backend, appId: "free-listener" });
  const email = freshEmail("free-listener");
  await auth.register(email, PASSWORD);
  await auth.login(email, PASSWORD);
  await auth.setPin(PIN);
  const seen = [];
  auth.onStateChange((state) => {
    seen.push(state);
    auth.free();
  });
  localStorage.removeItem("pinauth:free-listener:v1:pinSession");
  const r = { getter: await outcome(() => auth.state), seen };
  await new Promise((ok) => setTimeout(ok, 50));
  r.afterFree = await outcome(() => auth.state);
  r.afterwards = (await outcome(() => PinAuth.create({ backend, appId: "free-listener-2" }))).kind;
  return r;
}
