// Two PinAuth instances with different appIds on one MockBackend are two devices of one
// user: different device ids, both listed by backend.devices(email), separate PINs and
// attempt counters; re-authentication tokens and PIN resets are per device.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start, open, call, pkgDir } from "./harness.mjs";
import { blockWith } from "./readme.mjs";

let env;
let r;
let errors;

before(async () => {
  // The README's block that revokes a lost device, as a module of `auth` and `backend`.
  const revoke = blockWith(pkgDir, "revokeDevice");
  const body = `export default async function (auth, backend) {\n${revoke}\nreturn lost.deviceId;\n}\n`;
  env = await start({ extra: { "/readme-revoke.js": { type: "text/javascript", body } } });
  let page;
  ({ page, errors } = await open(env));
  r = await call(page, "devices.js", "twoDevices");
  r.revoke = await call(page, "devices.js", "readmeRevoke");
}, { timeout: 90_000 });
after(() => env?.stop());

test("two appIds are two devices of one user", () => {
  assert.match(r.phoneId, /^[A-Za-z0-9_-]{16,}$/);
  assert.match(r.laptopId, /^[A-Za-z0-9_-]{16,}$/);
  assert.notEqual(r.phoneId, r.laptopId);
  assert.equal(r.phoneLogin, "pinSetupRequired");
  assert.equal(r.laptopLogin, "pinSetupRequired", "the second device must set its own PIN");
  assert.deepEqual(r.phoneUser, r.laptopUser);
  assert.equal(typeof r.phoneUser.uid, "string");
  assert.match(r.phoneUser.email, /^two-devices-/);
});

test("backend.devices(email) lists both after both set PINs", () => {
  assert.deepEqual(r.devicesBefore, []);
  assert.deepEqual(r.devicesAfterPhone.map((d) => d.deviceId), [r.phoneId]);
  const devices = r.devicesAfterBoth;
  assert.equal(devices.length, 2);
  assert.deepEqual(new Set(devices.map((d) => d.deviceId)), new Set([r.phoneId, r.laptopId]));
  for (const d of devices) {
    assert.deepEqual(Object.keys(d).sort(), ["deviceId", "hasPin", "lastUsedAt", "registeredAt"]);
    assert.equal(d.hasPin, true);
    assert.ok(d.registeredAt >= r.startedAt - 1000 && d.registeredAt <= r.now, "registeredAt is ms since the epoch");
    assert.ok(d.lastUsedAt >= d.registeredAt);
  }
});

test("each device keeps its identity and its own PIN and attempt counter", () => {
  assert.deepEqual(r.phone2, { id: r.phoneId, state: "pinRequired" });
  assert.deepEqual(r.laptop2, { id: r.laptopId, state: "pinRequired" });
  assert.equal(r.laptopWrong.error?.code, "INVALID_PIN");
  assert.equal(r.laptopWrong.error.attemptsRemaining, 4);
  assert.equal(r.phoneWrong.error?.code, "INVALID_PIN");
  assert.equal(r.phoneWrong.error.attemptsRemaining, 4, "the laptop's wrong PIN does not count on the phone");
  assert.equal(r.phoneRight.kind, "resolved");
});

test("a re-authentication token names its device and is single use", () => {
  assert.ok(r.reauthExpiresAt > r.startedAt);
  assert.deepEqual(r.validation, {
    valid: true,
    uid: r.phoneUser.uid,
    deviceId: r.laptopId,
    expiresAt: r.reauthExpiresAt,
  });
  assert.deepEqual(r.validationAgain, { valid: false });
  assert.deepEqual(r.validationBogus, { valid: false });
});

test("a PIN reset by email applies to the device that asked", () => {
  assert.equal(r.outbox.length, 1);
  const [mail] = r.outbox;
  assert.deepEqual(Object.keys(mail).sort(), ["resetToken", "sentAt", "subject", "to"]);
  assert.equal(mail.to, r.phoneUser.email);
  assert.equal(typeof mail.subject, "string");
  assert.equal(typeof mail.resetToken, "string");
  assert.ok(mail.sentAt >= r.startedAt - 1000 && mail.sentAt <= r.now);
  assert.deepEqual(r.outboxNobody, []);
  assert.equal(r.reset.kind, "resolved");
  assert.equal(r.afterReset, "signedIn");
  assert.equal(r.resetAgain.error?.code, "RESET_TOKEN_INVALID");
  assert.equal(r.laptopStill, "signedIn");
});

test("the README's call revokes a lost device: gone from the account, its PIN session ended", () => {
  const v = r.revoke;
  assert.equal(v.revoked, v.laptopId, "the device that is not current");
  assert.deepEqual(v.devicesBefore.sort(), [v.laptopId, v.phoneId].sort());
  assert.deepEqual(v.devicesAfter, [v.phoneId]);
  assert.equal(v.phoneState, "signedIn", "the device that revoked stays signed in");
  assert.equal(v.laptopUnlock.kind, "rejected");
  assert.equal(v.laptopUnlock.error.code, "SESSION_INVALID");
  assert.equal(v.laptopState, "signedOut");
});

test("no page errors", () => {
  assert.deepEqual(errors, []);
});
