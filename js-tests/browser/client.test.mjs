// The client-only build, `pinauth/client`: what a page whose backend is its server imports.
// It has no MockBackend, reaches the backend only through `handle(requestJson)`, and runs
// every flow there; its device identity is the one the full build reads.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start, open, call, pkgDir } from "./harness.mjs";
import { blockWith } from "./readme.mjs";

let env;
let r;
let errors;

before(async () => {
  // The README's block for a server of one's own, as a module that exports its `auth`.
  const body = `${blockWith(pkgDir, "pinauth/client")}\nexport { auth };\n`;
  env = await start({ extra: { "/readme-client.js": { type: "text/javascript", body } } });
  let page;
  ({ page, errors } = await open(env));
  r = await call(page, "client.js", "clientFlows");
  r.readme = await call(page, "client.js", "readmeClient");
}, { timeout: 90_000 });
after(() => env?.stop());

test("pinauth/client exports the API without MockBackend", () => {
  assert.deepEqual(r.exports, ["PinAuth", "default", "initSync", "isPinAuthError"]);
});

test("every flow runs through the backend's handle(requestJson)", () => {
  assert.equal(r.firstState, "signedOut");
  assert.equal(r.login, "pinSetupRequired");
  assert.equal(r.afterSetPin, "signedIn");
  assert.match(r.user.email, /^client-only-/);
  assert.equal(r.visitState, "pinRequired");
  assert.equal(r.wrongPin.error?.code, "INVALID_PIN");
  assert.equal(r.wrongPin.error.attemptsRemaining, 4);
  assert.equal(r.wrongPinIsClientError, true);
  assert.equal(r.unlock.kind, "resolved");
  assert.equal(r.afterUnlock, "signedIn");
  assert.deepEqual(r.validation, { ...r.validation, valid: true, deviceId: r.deviceId, uid: r.user.uid });
  for (const endpoint of ["register", "login", "setPin", "challenge", "loginWithPin", "reauthenticate"]) {
    assert.ok(r.endpoints.includes(endpoint), `${endpoint} reached the backend: ${r.endpoints}`);
  }
});

test("the device identity is shared with the full build", () => {
  assert.equal(r.fullDeviceId, r.deviceId);
  assert.equal(r.fullState, "pinRequired");
});

test("its PIN prompt opens, and closes with CANCELLED when the client is freed", () => {
  assert.equal(r.dialogOpen, true);
  assert.equal(r.prompt.kind, "rejected");
  assert.equal(r.prompt.error.code, "CANCELLED");
  assert.equal(r.dialogAfter, false);
});

test("a missing backend is INVALID_INPUT", () => {
  assert.equal(r.noBackend.kind, "rejected");
  assert.equal(r.noBackend.error.code, "INVALID_INPUT");
  assert.match(r.noBackend.error.message, /backend/);
});

test("the README's adapter posts every request to the server and every flow works through it", () => {
  const v = r.readme;
  assert.equal(v.created, "signedOut");
  assert.equal(v.login, "pinSetupRequired");
  assert.ok(v.posts >= 4, `one POST per request (${v.posts})`);
  assert.deepEqual(v.postShape, { method: "POST", type: "application/json" });
  assert.equal(v.sameDevice, true);
  assert.equal(v.visit, "pinRequired");
  assert.equal(v.unlock.kind, "resolved");
  assert.equal(v.after, "signedIn");
});

test("no page errors", () => {
  assert.deepEqual(errors, []);
});
