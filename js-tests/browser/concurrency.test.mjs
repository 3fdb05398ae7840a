// Calls fired together (double clicks, bursts) on one client: no "recursive use of an
// object" or other non-PinAuthError, results in call order, the right final state.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start, open, call } from "./harness.mjs";

let env;
let r;
let errors;

before(async () => {
  env = await start();
  let page;
  ({ page, errors } = await open(env));
  r = await call(page, "concurrency.js", "concurrentCalls");
}, { timeout: 90_000 });
after(() => env?.stop());

/** Every rejection in the burst is a PinAuthError; nothing threw synchronously. */
function onlyPinAuthErrors(name, { outcomes }) {
  for (const [i, o] of outcomes.entries()) {
    assert.notEqual(o.kind, "threw", `${name}[${i}] threw synchronously: ${JSON.stringify(o)}`);
    if (o.kind === "rejected") {
      assert.doesNotMatch(o.error.message, /recursive use|already borrowed|unreachable|null pointer/i, `${name}[${i}]`);
      assert.equal(o.error.isPinAuthError, true, `${name}[${i}] rejected with a non-PinAuthError: ${o.error.name}: ${o.error.message}`);
    }
  }
}

const kinds = (b) => b.outcomes.map((o) => (o.kind === "rejected" ? o.error.code : o.kind));

test("no call of any burst throws or rejects with a non-PinAuthError", () => {
  for (const name of ["register", "login", "setPin", "pins", "mixed", "logout", "forget", "many"]) onlyPinAuthErrors(name, r[name]);
});

test("double-click register and login", () => {
  assert.deepEqual(kinds(r.register), ["resolved", "EMAIL_TAKEN"]);
  assert.deepEqual(r.login.outcomes.map((o) => o.value), ["pinSetupRequired", "pinSetupRequired"]);
  assert.equal(r.afterLogin, "pinSetupRequired");
});

test("double-click setPin: the first sets it, the second finds it set", () => {
  assert.equal(r.setPin.outcomes[0].kind, "resolved");
  assert.deepEqual(kinds(r.setPin)[1], "NOT_SIGNED_IN");
  assert.equal(r.afterSetPin, "signedIn");
});

test("wrong, wrong, right PIN fired together: 4 then 3 attempts left, then success, in call order", () => {
  assert.equal(r.laterState, "pinRequired");
  const [a, b, c] = r.pins.outcomes;
  assert.equal(a.error?.code, "INVALID_PIN");
  assert.equal(a.error.attemptsRemaining, 4);
  assert.equal(b.error?.code, "INVALID_PIN");
  assert.equal(b.error.attemptsRemaining, 3);
  assert.equal(c.kind, "resolved");
  assert.deepEqual(r.pins.settled, [0, 1, 2]);
  assert.equal(r.afterPins, "signedIn");
});

test("synchronous calls during a flow in flight", () => {
  assert.deepEqual(r.syncDuringFlight.checkPin, { ok: true });
  assert.equal(r.syncDuringFlight.state, "signedIn");
  assert.equal(typeof r.syncDuringFlight.user, "string");
  assert.equal(r.syncDuringFlight.deviceId, "string");
  assert.equal(r.inFlight, "string");
});

test("a burst of different flows runs in call order (the PIN changes in the middle)", () => {
  assert.deepEqual(kinds(r.mixed), ["resolved", "resolved", "resolved", "INVALID_PIN", "resolved"]);
  assert.deepEqual(r.mixed.settled, [0, 1, 2, 3, 4]);
  assert.equal(r.afterMixed, "signedIn");
});

test("double-click logout, with a listener calling back into the client", () => {
  assert.deepEqual(kinds(r.logout), ["resolved", "resolved", "NOT_SIGNED_IN"]);
  assert.deepEqual(r.listenerSaw, [{ state: "signedOut", now: "signedOut", user: null, check: true }]);
  assert.equal(r.afterLogout, "signedOut");
});

test("double-click forgetDevice", () => {
  assert.deepEqual(kinds(r.forget), ["resolved", "resolved"]);
  assert.equal(r.newDevice, true);
  assert.equal(r.afterForget, "signedOut");
});

test("several clients at once, each double-clicking login", () => {
  for (const o of r.many.outcomes) assert.deepEqual(o.value, ["pinSetupRequired", "pinSetupRequired", "signedIn"]);
  assert.ok(r.devices >= 5, `devices: ${r.devices}`);
});

test("the state listener saw each change once, in order, through the double clicks", () => {
  assert.deepEqual(r.states, ["pinSetupRequired", "signedIn"]);
});

test("no page errors", () => {
  assert.deepEqual(errors, []);
});

test("a logout while an unlock waits for the server signs out at once; the unlock goes no further, a login after it holds", async () => {
  const { page } = await open(env);
  const w = await call(page, "concurrency.js", "logoutWhileWaiting");
  assert.equal(w.before, "pinRequired");
  assert.deepEqual(w.whileWaiting, { state: "signedOut", states: ["signedOut"], settled: [], asked: ["challenge", "logout"] }, "the logout's request did not wait for the unlock");
  assert.equal(w.unlock.code, "NOT_SIGNED_IN");
  assert.equal(w.logout, "resolved");
  assert.equal(w.login, "resolved");
  assert.equal(w.settled.at(-1), "login", "the login, called after the logout, waited for its answer");
  assert.deepEqual([...w.settled].sort(), ["login", "logout", "unlock"]);
  assert.deepEqual(w.asked, ["challenge", "logout", "login"], "the unlock went no further than its challenge, the login came after the logout");
  assert.equal(w.after, "signedIn");
  assert.deepEqual(w.states, ["signedOut", "signedIn"]);
});
