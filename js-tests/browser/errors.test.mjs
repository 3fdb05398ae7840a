// The shape of PinAuthError: instanceof Error, name, code, and the hints
// attemptsRemaining, retryAfterSeconds and reason; isPinAuthError on other values.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start, open, call } from "./harness.mjs";

let env;
let page;
let result;
let errors;

before(async () => {
  env = await start();
  ({ page, errors } = await open(env));
  result = await call(page, "errors.js", "errorShape");
}, { timeout: 90_000 });
after(() => env?.stop());

/** Asserts `o` is a rejection (or throw, when `sync`) with a PinAuthError of `code`. */
function assertPinAuthError(o, code, { sync = false } = {}) {
  assert.equal(o.kind, sync ? "threw" : "rejected", `${code}: ${JSON.stringify(o)}`);
  const e = o.error;
  assert.equal(e.instanceofError, true, "instanceof Error");
  assert.equal(e.name, "PinAuthError");
  assert.equal(e.code, code);
  assert.equal(typeof e.message, "string");
  assert.ok(e.message.length > 0, "a message");
  assert.equal(e.hasStack, true, "a stack");
  assert.equal(e.isPinAuthError, true, "isPinAuthError(e)");
  return e;
}

test("a wrong PIN: INVALID_PIN with attemptsRemaining", () => {
  assert.equal(result.laterState, "pinRequired");
  const e = assertPinAuthError(result.wrongPin, "INVALID_PIN");
  assert.equal(typeof e.attemptsRemaining, "number");
  assert.equal(e.attemptsRemaining, 4);
  assert.equal(e.retryAfterSeconds, undefined);
});

test("a password lockout: ACCOUNT_LOCKED with retryAfterSeconds", () => {
  const attempts = result.passwordAttempts;
  const last = attempts.at(-1);
  assert.ok(attempts.length <= 3, `locked within maxPasswordAttempts + 1 tries: ${JSON.stringify(attempts)}`);
  for (const o of attempts.slice(0, -1)) assertPinAuthError(o, "INVALID_CREDENTIALS");
  const e = assertPinAuthError(last, "ACCOUNT_LOCKED");
  assert.equal(typeof e.retryAfterSeconds, "number");
  assert.ok(e.retryAfterSeconds > 0 && e.retryAfterSeconds <= 15 * 60, `retryAfterSeconds ${e.retryAfterSeconds}`);
});

test("a weak PIN: WEAK_PIN with the reason checkPin gives", () => {
  assert.equal(result.loggedIn, "pinSetupRequired");
  const e = assertPinAuthError(result.weak, "WEAK_PIN");
  assert.deepEqual(result.check, { ok: false, reason: "SEQUENCE" });
  assert.equal(e.reason, "SEQUENCE");
  assert.equal(e.reason, result.check.reason);
});

test("other codes keep the shape (EMAIL_TAKEN, NOT_SIGNED_IN, a synchronous INVALID_INPUT)", () => {
  assertPinAuthError(result.taken, "EMAIL_TAKEN");
  assertPinAuthError(result.notSignedIn, "NOT_SIGNED_IN");
  const e = assertPinAuthError(result.syncThrow, "INVALID_INPUT", { sync: true });
  assert.match(e.message, /options\.maxPinAttempts/);
});

test("isPinAuthError is false for everything else", () => {
  for (const [label, value] of Object.entries(result.notPinAuthErrors)) {
    assert.equal(value, false, label);
  }
});

test("a misbehaving or silent backend adapter: TRANSPORT_FAILED, and the client carries on", async () => {
  const r = await call(page, "errors.js", "misbehavingBackend");
  assert.deepEqual(r.syncThen, { kind: "resolved", value: null }, "a then that answers at once");
  // The message says which: a failed call (with what it threw as the cause), an answer
  // that is not a string, one too long, one that is not a reply, or no answer in time.
  const threw = /handle\(requestJson\) threw or rejected/;
  const expected = {
    throwingThen: [threw, "Error: then failed"],
    rejects: [threw, "Error: HTTP 502"],
    throws: [threw, "TypeError: adapter bug"],
    huge: [/longer than 2\^20 UTF-16 units/],
    notJson: [/unexpected reply/],
    nothing: [/answered with something other than a string/],
    notString: [/answered with something other than a string/],
  };
  for (const [mode, [message, cause]] of Object.entries(expected)) {
    const e = assertPinAuthError(r[mode], "TRANSPORT_FAILED");
    assert.match(e.message, message, mode);
    assert.equal(e.cause, cause, mode);
  }
  assert.equal(r.rejectsCause, true);
  assert.equal(r.throwsCause, true);
  assert.equal(r.afterwards.kind, "resolved", JSON.stringify(r.afterwards));
  assert.deepEqual(r.login, { kind: "resolved", value: "pinSetupRequired" });
  assert.match(assertPinAuthError(r.hang, "TRANSPORT_FAILED").message, /did not answer within 30 seconds\.$/);
  assert.equal(r.hang.error.cause, undefined);
  assert.deepEqual(r.logoutBehindHang, { kind: "resolved", value: null });
  assert.equal(r.stateAfterLogout, "signedOut");
});

test("a server's replies with fields of its own work in every flow; one without expiresIn is an unexpected reply", async () => {
  const r = await call(page, "errors.js", "decoratedReplies");
  for (const flow of ["register", "setPin", "changePin", "logout", "unlock"]) {
    assert.deepEqual(r[flow], { kind: "resolved", value: null }, flow);
  }
  assert.deepEqual(r.login, { kind: "resolved", value: "pinSetupRequired" });
  assert.deepEqual(r.loginAgain, { kind: "resolved", value: "signedIn" }, "a known device");
  assert.deepEqual(r.reauth, { kind: "resolved", keys: ["expiresAt", "expiresIn", "token"] });
  assert.equal(r.state, "signedIn");
  assert.match(assertPinAuthError(r.stripped, "TRANSPORT_FAILED").message, /unexpected reply/);
});

test("options without a prototype or from another realm are read; an array of another realm is not", async () => {
  const r = await call(page, "errors.js", "optionsFromElsewhere");
  assert.deepEqual(r, { nullPrototype: "resolved", otherRealm: "resolved", otherRealmArray: "INVALID_INPUT" });
});

test("calls on freed objects: a PinAuthError each time, and the module keeps working", async () => {
  const r = await call(page, "errors.js", "freedObjects");
  for (const key of ["state", "checkPin", "onStateChange", "otherThis", "promptConfig"]) {
    assert.match(assertPinAuthError(r[key], "INVALID_INPUT", { sync: true }).message, /freed/, key);
  }
  for (const key of ["login", "handle", "promptPin", "promptOtherThis"]) {
    assert.match(assertPinAuthError(r[key], "INVALID_INPUT").message, /freed/, key);
  }
  assert.deepEqual(r.freeAgain, { kind: "returned", value: null });
  assert.deepEqual(r.dispose, { kind: "returned", value: null });
  assert.deepEqual(r.afterwards, { kind: "resolved", value: "pinSetupRequired" });
});

test("right after an unlock, the module's memory holds none of the blocks BLAKE2b hashed (a session token, a PIN proof)", async () => {
  const r = await call(page, "errors.js", "memoryAfterUnlock");
  assert.deepEqual(r, { state: "signedIn", requestFields: 0, pinVerifier: 0 });
});

test("huge option keys and error names are refused or compared without being copied into the module", async () => {
  const r = await call(page, "errors.js", "hugeNames");
  for (const key of ["asciiKey", "latinKey"]) {
    assert.match(assertPinAuthError(r[key], "INVALID_INPUT").message, /is not a known option/, key);
  }
  assert.deepEqual([r.hugeName, r.hugeCode, r.afterwards], [false, false, "resolved"]);
  assert.ok(r.grewMiB < 16, `the module's memory grew by ${r.grewMiB} MiB`);
});

test("free() from a listener that the state getter fired: no throw, freed, the module keeps working", async () => {
  const r = await call(page, "errors.js", "freeFromAListener");
  assert.deepEqual(r.getter, { kind: "returned", value: "signedOut" });
  assert.deepEqual(r.seen, ["signedOut"]);
  assert.match(assertPinAuthError(r.afterFree, "INVALID_INPUT", { sync: true }).message, /freed/);
  assert.equal(r.afterwards, "resolved");
});

test("after a PIN flow and a sign-out, the module's memory holds no PIN proof, access, re-auth or PIN session token", async () => {
  const r = await call(page, "errors.js", "memoryAfterSignOut");
  assert.deepEqual(r, { pinProof: 0, access: 0, reauth: 0, session: 0, flowsRan: true });
});

test("PinAuth.create called while init() is still loading waits for it; MockBackend.create, synchronous, says to await init()", async () => {
  const fresh = await open(env);
  const r = await fresh.page.evaluate(async () => {
    const pinauth = await import("pinauth");
    const loading = pinauth.default();
    let mock;
    try {
      pinauth.MockBackend.create();
    } catch (e) {
      mock = { name: e.name, code: e.code, message: e.message };
    }
    const backend = { handle: () => Promise.reject(new Error("not called")) };
    const auth = await pinauth.PinAuth.create({ backend, appId: "while-loading" });
    await loading;
    return { state: auth.state, mock, mockAfter: typeof pinauth.MockBackend.create().handle };
  });
  assert.deepEqual(r, {
    state: "signedOut",
    mock: { name: "PinAuthError", code: "INVALID_INPUT", message: "pinauth is not loaded: await init() first, in a browser." },
    mockAfter: "function",
  });
  assert.deepEqual(fresh.errors, []);
  await fresh.context.close();
});

test("no page errors", () => {
  assert.deepEqual(errors, []);
});
