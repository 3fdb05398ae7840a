// INVALID_INPUT for a table of bad arguments and options (wrong types, null, undefined,
// objects, arrays, 1 MB strings, unknown keys, out-of-range numbers, missing backend,
// objects that throw when inspected); WEAK_PIN with a reason for a bad PIN being chosen.
// Afterwards the same wasm instance still runs a full flow: nothing panicked or aborted.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start, open, call } from "./harness.mjs";

let env;
let run;
let errors;

before(async () => {
  env = await start();
  let page;
  ({ page, errors } = await open(env));
  run = await call(page, "invalid-input.js", "table");
  run.pollution = await call(page, "invalid-input.js", "pollution");
}, { timeout: 90_000 });
after(() => env?.stop());

test("every bad argument or option is refused with the right code, naming the field", async (t) => {
  assert.ok(run.results.length > 300, `a big table (${run.results.length} cases)`);
  const failures = [];
  for (const { label, field, sync, expect, reason, outcome } of run.results) {
    const problems = [];
    const e = outcome.error;
    if (outcome.kind !== (sync ? "threw" : "rejected")) problems.push(`ended as "${outcome.kind}", not ${sync ? "a throw" : "a rejection"}`);
    if (e) {
      if (!e.isPinAuthError || !e.instanceofError || e.name !== "PinAuthError") problems.push(`not a PinAuthError: ${e.name}: ${e.message}`);
      if (e.code !== expect) problems.push(`code ${e.code}, expected ${expect} (${e.message.slice(0, 100)})`);
      if (reason !== undefined && e.reason !== reason) problems.push(`reason ${e.reason}, expected ${reason}`);
      if (field && !e.message.includes(field)) problems.push(`message "${e.message.slice(0, 100)}" does not name "${field}"`);
      if (e.message.length > 200) problems.push(`message is ${e.message.length} characters long`);
    }
    if (problems.length) failures.push(`${label}: ${problems.join("; ")}`);
  }
  t.diagnostic(`${run.results.length} cases`);
  assert.deepEqual(failures, [], `${failures.length} of ${run.results.length} cases failed:\n${failures.join("\n")}`);
});

test("backend.handle answers a bad request with an INVALID_INPUT response", () => {
  for (const { label, outcome } of run.handle) {
    assert.equal(outcome.kind, "resolved", `${label}: ${JSON.stringify(outcome).slice(0, 300)}`);
    assert.equal(typeof outcome.value, "string", label);
    assert.equal(JSON.parse(outcome.value).error?.code, "INVALID_INPUT", `${label}: ${outcome.value}`);
  }
});

test("a wrong-type PIN and a non-digit PIN differ on purpose: INVALID_INPUT vs WEAK_PIN", () => {
  const byLabel = Object.fromEntries(run.results.map((r) => [r.label, r.outcome.error]));
  assert.equal(byLabel["setPin(a number)"].code, "INVALID_INPUT");
  assert.equal(byLabel['setPin("12ab56")'].code, "WEAK_PIN");
  assert.equal(byLabel['setPin("12ab56")'].reason, "NOT_DIGITS");
  assert.equal(byLabel['loginWithPin("12ab56")'].code, "INVALID_INPUT");
});

test("after the table the module still works (nothing panicked)", () => {
  assert.equal(run.stateAfterTable, "signedOut");
  assert.deepEqual(run.flow, {
    login: "pinSetupRequired",
    afterSetPin: "signedIn",
    accessToken: "string",
    laterState: "pinRequired",
    laterAfterPin: "signedIn",
    reauthValid: true,
    otherLogin: "pinSetupRequired",
    otherAfterSetPin: "signedIn",
  });
});

test("options are the object's own properties: a polluted Object.prototype chooses nothing", () => {
  const r = run.pollution;
  assert.equal(r.noBackend.kind, "rejected");
  assert.equal(r.noBackend.error.code, "INVALID_INPUT");
  assert.match(r.noBackend.error.message, /options\.backend/);
  assert.deepEqual(r.policy, { ok: false, reason: "TOO_SHORT" }, "pinLength stays 6");
  assert.equal(r.mock.kind, "returned", "persistKey 42 on the prototype is not read");
  assert.equal(r.prompt.error?.code, "NOT_SIGNED_IN", "mode \"sideways\" on the prototype is not read");
});

test("no page errors", () => {
  assert.deepEqual(errors, []);
});
