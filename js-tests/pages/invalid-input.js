// Page side of the INVALID_INPUT table: every string argument and every option of the
// API is given values of the wrong type, missing, unknown, out of range or oversized.
// promptPin's options are checked too (mode, unknown keys, strings, container). Each case
// says how it must end: `expect` ("INVALID_INPUT", or "WEAK_PIN" with a reason),
// `field` (a string the message must contain), and `sync` (throws rather than rejects).
import { MockBackend, PinAuth } from "pinauth";
import { outcome, freshEmail } from "./common.js";

const EMAIL = "table@example.com";
const PASSWORD = "correct horse battery";
const PIN = "730519";
const NEW_PIN = "482916";
const MB = "7".repeat(1 << 20);
const YEAR_SECONDS = 366 * 24 * 3600;

/** A short label for a value. */
const show = (v) =>
  typeof v === "string" || (typeof v === "object" && v !== null) ? JSON.stringify(v).slice(0, 30) : String(v);

/** Values that are not an acceptable string. */
function badStrings() {
  return [
    ["a number", 42],
    ["NaN", NaN],
    ["null", null],
    ["undefined", undefined],
    ["a boolean", true],
    ["an object", {}],
    ["an object with toString", { toString: () => PIN }],
    ["a String object", new String(PIN)],
    ["an array", []],
    ["an array of a string", [PIN]],
    ["a function", () => PIN],
    ["a symbol", Symbol("pin")],
    ["a bigint", 10n],
    ["a 1 MB string", MB],
    // Not Unicode: copied into the module it would become U+FFFD, so that two different
    // passwords (or emails) would be one.
    ["a lone surrogate", "730\uD800519"],
  ];
}

/** Values that are not an options object. */
function badOptionObjects() {
  return [
    ["a number", 42],
    ["null", null],
    ["a boolean", false],
    ["a string", "local"],
    ["a 1 MB string", MB],
    ["an array", []],
    ["a function", () => ({})],
    ["a symbol", Symbol("options")],
    ["a bigint", 1n],
  ];
}

/** Objects that throw when inspected: a throwing getter, a throwing `ownKeys` trap, a revoked proxy. */
function hostileObjects(base) {
  const revocable = Proxy.revocable({ ...base }, {});
  revocable.revoke();
  return [
    ["a throwing getter", { ...base, get appId() { throw new Error("getter"); } }, "appId"],
    ["a proxy whose ownKeys throws", new Proxy({ ...base }, { ownKeys() { throw new Error("ownKeys"); } }), "options"],
    ["a revoked proxy", revocable.proxy, "options"],
  ];
}

function cases(backend, auth) {
  const list = [];
  const add = (label, field, run, { sync = false, expect = "INVALID_INPUT", reason } = {}) =>
    list.push({ label, field, run, sync, expect, reason });

  // ---- string arguments ----
  for (const [what, bad] of badStrings()) {
    add(`register(${what}, password)`, "email", () => auth.register(bad, PASSWORD));
    add(`register(email, ${what})`, "password", () => auth.register(EMAIL, bad));
    add(`login(${what}, password)`, "email", () => auth.login(bad, PASSWORD));
    add(`login(email, ${what})`, "password", () => auth.login(EMAIL, bad));
    add(`setPin(${what})`, "pin", () => auth.setPin(bad));
    add(`loginWithPin(${what})`, "pin", () => auth.loginWithPin(bad));
    add(`reauthenticate(${what})`, "pin", () => auth.reauthenticate(bad));
    add(`changePin(${what}, newPin)`, "oldPin", () => auth.changePin(bad, NEW_PIN));
    add(`changePin(oldPin, ${what})`, "newPin", () => auth.changePin(PIN, bad));
    add(`forgotPin(${what})`, "email", () => auth.forgotPin(bad));
    add(`resetPin(${what}, newPin)`, "resetToken", () => auth.resetPin(bad, NEW_PIN));
    add(`resetPin(resetToken, ${what})`, "newPin", () => auth.resetPin("AAAA", bad));
    add(`checkPin(${what})`, "pin", () => auth.checkPin(bad), { sync: true });
    add(`backend.outbox(${what})`, "email", () => backend.outbox(bad));
    add(`backend.devices(${what})`, "email", () => backend.devices(bad));
    add(`backend.validateReauthToken(${what})`, "token", () => backend.validateReauthToken(bad));
    if (typeof bad !== "function") {
      add(`onStateChange(${what})`, "listener", () => auth.onStateChange(bad), { sync: true });
      add(`onWarning(${what})`, "listener", () => auth.onWarning(bad), { sync: true });
    }
  }

  // ---- PIN text: non-digits and wrong lengths ----
  // Choosing a PIN (setPin, changePin's newPin, resetPin's newPin): WEAK_PIN with a reason.
  const chosen = [
    ["12ab56", "NOT_DIGITS"],
    [" 730519", "NOT_DIGITS"],
    ["٧٣٠٥١٩", "NOT_DIGITS"], // Arabic-Indic digits
    ["73051", "TOO_SHORT"],
    ["", "TOO_SHORT"],
    ["7305194", "TOO_LONG"],
  ];
  for (const [pin, reason] of chosen) {
    const opts = { expect: "WEAK_PIN", reason };
    add(`setPin(${show(pin)})`, "", () => auth.setPin(pin), opts);
    add(`changePin(oldPin, ${show(pin)})`, "", () => auth.changePin(PIN, pin), opts);
    add(`resetPin(resetToken, ${show(pin)})`, "", () => auth.resetPin("AAAA", pin), opts);
  }
  // Entering a PIN (loginWithPin, reauthenticate, changePin's oldPin): INVALID_INPUT.
  for (const pin of ["12ab56", "abcdef", "123", "", "123456789", "٧٣٠٥١٩"]) {
    add(`loginWithPin(${show(pin)})`, "PIN", () => auth.loginWithPin(pin));
    add(`reauthenticate(${show(pin)})`, "PIN", () => auth.reauthenticate(pin));
    add(`changePin(${show(pin)}, newPin)`, "PIN", () => auth.changePin(pin, NEW_PIN));
  }

  // ---- PinAuth.create options ----
  const create = (label, field, options) => add(`PinAuth.create(${label})`, field, () => PinAuth.create(options));
  for (const [what, bad] of badOptionObjects()) create(what, "options", bad);
  create("no options", "options", undefined);
  create("{} (no backend)", "options.backend", {});
  create("{ appId } (no backend)", "options.backend", { appId: "x" });
  create("{ backend: undefined }", "options.backend", { backend: undefined });
  for (const [what, bad] of [
    ["a number", 42],
    ["null", null],
    ["a string", "backend"],
    ["a 1 MB string", MB],
    ["an object", {}],
    ["an array", []],
    ["an object whose handle is not a function", { handle: 42 }],
    ["the MockBackend class", MockBackend],
  ]) {
    create(`{ backend: ${what} }`, "options.backend", { backend: bad });
  }
  for (const key of ["foo", "appid", "pinlength", "persistKey", "storageKey"]) {
    create(`{ backend, ${key} } (unknown key)`, `options.${key}`, { backend, [key]: 1 });
  }
  create("{ backend, <1 MB key> } (unknown key)", "options.7777777777", { backend, [MB]: 1 });
  for (const [what, bad] of badStrings()) {
    if (bad === undefined) continue; // an absent option
    create(`{ backend, appId: ${what} }`, "options.appId", { backend, appId: bad });
    create(`{ backend, storage: ${what} }`, "options.storage", { backend, storage: bad });
    create(`{ backend, accessTokenStorage: ${what} }`, "options.accessTokenStorage", { backend, accessTokenStorage: bad });
  }
  for (const appId of ["", "has space", "a".repeat(65), "ümlaut", "a/b"]) {
    create(`{ backend, appId: ${show(appId)} }`, "appId", { backend, appId });
  }
  for (const storage of ["disk", "LOCAL", "", "indexedDB"]) {
    create(`{ backend, storage: ${show(storage)} }`, "options.storage", { backend, storage });
  }
  for (const accessTokenStorage of ["local", "SESSION", "", "disk"]) {
    create(`{ backend, accessTokenStorage: ${show(accessTokenStorage)} }`, "options.accessTokenStorage", { backend, accessTokenStorage });
  }
  const numbers = (key, bads) => {
    for (const bad of bads) {
      create(`{ backend, ${key}: ${show(bad)} }`, `options.${key}`, { backend, [key]: bad });
    }
  };
  numbers("pinLength", [3, 9, 0, -1, 4.5, NaN, Infinity, 2 ** 32 + 6, "6", null, {}, true, [6]]);
  numbers("accessTokenLeewaySeconds", [-1, 3601, 1.5, NaN, -Infinity, "30", null, {}]);
  for (const [what, bad, field] of hostileObjects({ backend })) {
    create(what, field === "options" ? "options" : `options.${field}`, bad);
  }

  // ---- promptPin options (the client is signed out: valid options would reject with
  // NOT_SIGNED_IN, without a dialog) ----
  const prompt = (label, field, options) => add(`promptPin(${label})`, field, () => auth.promptPin(options));
  for (const [what, bad] of badOptionObjects()) prompt(what, "options", bad);
  for (const mode of ["login", "setup", "", "AUTO", "Reauth", " change", "change ", MB]) {
    prompt(`{ mode: ${show(mode)} }`, "options.mode", { mode });
  }
  for (const key of ["foo", "Mode", "titel", "string", "onCancel", "containerId"]) {
    prompt(`{ ${key} } (unknown key)`, `options.${key}`, { [key]: "x" });
  }
  prompt("{ <1 MB key> } (unknown key)", "options.7777777777", { [MB]: 1 });
  for (const key of ["nope", "Submit", "setup_title", "title", "wrongPIN", "attemptsLeft"]) {
    prompt(`{ strings: { ${key} } } (unknown key)`, `options.strings.${key}`, { strings: { [key]: "x" } });
  }
  for (const [what, bad] of badOptionObjects()) {
    if (bad === null) continue; // below, with the other null values
    prompt(`{ strings: ${what} }`, "options.strings", { strings: bad });
  }
  for (const [what, bad] of badStrings()) {
    if (bad === undefined) continue; // an absent option
    prompt(`{ mode: ${what} }`, "options.mode", { mode: bad });
    prompt(`{ title: ${what} }`, "options.title", { title: bad });
    prompt(`{ subtitle: ${what} }`, "options.subtitle", { subtitle: bad });
    for (const key of ["submit", "setupTitle", "wrongPin"]) {
      prompt(`{ strings: { ${key}: ${what} } }`, `options.strings.${key}`, { strings: { [key]: bad } });
    }
  }
  prompt("{ strings: null }", "options.strings", { strings: null });
  for (const [what, bad] of [
    ["null", null],
    ["a number", 1],
    ["a string", "body"],
    ["a selector", "#app"],
    ["a plain object", {}],
    ["an element-like object", { nodeType: 1, tagName: "DIV", appendChild() {} }],
    ["an array of an element", [document.body]],
    ["the document", document],
    ["window", window],
    ["a text node", document.createTextNode("x")],
    ["a document fragment", document.createDocumentFragment()],
  ]) {
    prompt(`{ container: ${what} }`, "options.container", { container: bad });
  }
  const revokedStrings = Proxy.revocable({}, {});
  revokedStrings.revoke();
  prompt("a throwing getter", "options.title", { get title() { throw new Error("getter"); } });
  prompt("strings with a throwing getter", "options.strings.submit", { strings: { get submit() { throw new Error("getter"); } } });
  prompt("strings as a proxy whose ownKeys throws", "options.strings", { strings: new Proxy({}, { ownKeys() { throw new Error("ownKeys"); } }) });
  prompt("strings as a revoked proxy", "options.strings", { strings: revokedStrings.proxy });

  // ---- MockBackend.create options (synchronous: throws) ----
  const mock = (label, field, options) =>
    add(`MockBackend.create(${label})`, field, () => MockBackend.create(options), { sync: true });
  for (const [what, bad] of badOptionObjects()) mock(what, "options", bad);
  for (const key of ["foo", "maxPinAttempt", "backend", "appId", "persistkey"]) {
    mock(`{ ${key} } (unknown key)`, `options.${key}`, { [key]: 1 });
  }
  for (const [what, bad] of [...badStrings(), ["an empty string", ""]]) {
    if (bad === undefined) continue; // an absent option
    mock(`{ persistKey: ${what} }`, "options.persistKey", { persistKey: bad });
  }
  const seconds = [0, -1, 1.5, NaN, Infinity, YEAR_SECONDS + 1, "60", null, {}, true];
  for (const key of ["accessTokenTtlSeconds", "pinSessionTtlSeconds", "reauthTokenTtlSeconds", "passwordLockoutSeconds"]) {
    for (const bad of seconds) mock(`{ ${key}: ${show(bad)} }`, `options.${key}`, { [key]: bad });
  }
  for (const bad of [0, 11, -1, 2.5, NaN, "5", null]) {
    mock(`{ maxPinAttempts: ${show(bad)} }`, "options.maxPinAttempts", { maxPinAttempts: bad });
  }
  for (const bad of [0, 101, -1, 2.5, "5", null]) {
    mock(`{ maxPasswordAttempts: ${show(bad)} }`, "options.maxPasswordAttempts", { maxPasswordAttempts: bad });
  }
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  mock("a throwing getter", "options.persistKey", { get persistKey() { throw new Error("getter"); } });
  mock("a proxy whose ownKeys throws", "options", new Proxy({}, { ownKeys() { throw new Error("ownKeys"); } }));
  mock("a revoked proxy", "options", revocable.proxy);
  return list;
}

/** Runs the whole table, then a full flow on the same module instance. */
export async function table() {
  const backend = MockBackend.create();
  const auth = await PinAuth.create({ backend, appId: "table" });
  const results = [];
  for (const c of cases(backend, auth)) {
    const o = await outcome(c.run);
    results.push({ label: c.label, field: c.field, sync: c.sync, expect: c.expect, reason: c.reason, outcome: o });
  }
  const stateAfterTable = auth.state;

  // backend.handle is the server as a string function: it answers a bad request with an
  // INVALID_INPUT response instead of rejecting.
  const handle = [];
  for (const [what, bad] of [...badStrings(), ["malformed JSON", "{"], ["an unknown endpoint", '{"nope":{}}']]) {
    handle.push({ label: `backend.handle(${what})`, outcome: await outcome(() => backend.handle(bad)) });
  }

  // The module still works: a full flow, on the table's instances and on new ones.
  const flow = {};
  const email = freshEmail("after-table");
  await auth.register(email, PASSWORD);
  flow.login = await auth.login(email, PASSWORD);
  await auth.setPin(PIN);
  flow.afterSetPin = auth.state;
  flow.accessToken = typeof (await auth.getAccessToken());
  const later = await PinAuth.create({ backend, appId: "table" });
  flow.laterState = later.state;
  await later.loginWithPin(PIN);
  flow.laterAfterPin = later.state;
  const { token } = await later.reauthenticate(PIN);
  flow.reauthValid = (await backend.validateReauthToken(token)).valid;
  const other = MockBackend.create({ maxPinAttempts: 3 });
  const otherAuth = await PinAuth.create({ backend: other, appId: "table-other", storage: "memory", pinLength: 4 });
  await otherAuth.register(email, PASSWORD);
  flow.otherLogin = await otherAuth.login(email, PASSWORD);
  await otherAuth.setPin("7305");
  flow.otherAfterSetPin = otherAuth.state;
  return { results, handle, stateAfterTable, flow };
}

/**
 * Options are read from the object's own properties only: what a prototype pollution puts
 * on `Object.prototype` chooses neither the backend nor any setting.
 */
export async function pollution() {
  const backend = MockBackend.create();
  const polluted = { backend, appId: "polluted", storage: "memory", pinLength: 4, persistKey: 42, mode: "sideways" };
  for (const [key, value] of Object.entries(polluted)) {
    Object.defineProperty(Object.prototype, key, { value, configurable: true, writable: true });
  }
  const r = {};
  try {
    r.noBackend = await outcome(() => PinAuth.create({}));
    const auth = await PinAuth.create({ backend, appId: "own" });
    r.policy = auth.checkPin("1357"); // 4 digits: too short under the default length 6
    r.mock = await outcome(() => MockBackend.create({}));
    r.prompt = await outcome(() => auth.promptPin({}));
  } finally {
    for (const key of Object.keys(polluted)) delete Object.prototype[key];
  }
  return r;
}
