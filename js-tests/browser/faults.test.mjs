// Browser faults, page level (headless Chromium, the installed package): localStorage full
// (filled to the last byte, or setItem throwing QuotaExceededError) or refusing every
// access (SecurityError getters or methods installed before the module loads, and a real
// opaque-origin iframe), IndexedDB unavailable (getter or open throwing, a foreign
// "pinauth" database), corrupt and foreign values in every key the SDK uses, the persisted
// MockBackend's snapshot write failing, and two tabs unlocking at the same moment.
// Each gives a typed error or a documented fallback with a warning; PinAuth.create never
// rejects because of old data; nothing stored is lost. The page side is pages/faults.js;
// the same faults at the Rust seams are in tests/browser_faults.rs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start, call } from "./harness.mjs";

let env;

before(async () => {
  env = await start();
});
after(() => env?.stop());

/**
 * Opens the test page in a fresh context, `init` (if any) running before any page
 * script. With `cors`, every response allows any origin, so that an opaque-origin frame
 * can load the package (module scripts and the wasm are fetched with CORS). Returns the
 * page, its context and the page errors seen so far (filled as they come).
 */
async function openWith({ init, cors } = {}) {
  const context = await env.browser.newContext();
  if (init) await context.addInitScript(init);
  if (cors) {
    await context.route("**/*", async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), "access-control-allow-origin": "*" } });
    });
  }
  const page = await context.newPage();
  const errors = watch(page);
  await page.goto(env.server.origin + "/pages/harness.html");
  return { page, context, errors };
}

/** Collects page errors and console errors of `page`. */
function watch(page) {
  const errors = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console.error: ${msg.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`page error: ${error.stack ?? error}`));
  return errors;
}

/** Runs one page-side scenario in a fresh context set up by `setup`; closes the context. */
async function scenario(setup, name, ...args) {
  const { page, context, errors } = await openWith(setup);
  try {
    const r = await call(page, "faults.js", name, ...args);
    return { r, errors: [...errors] };
  } finally {
    await context.close();
  }
}

const show = (value) => JSON.stringify(value).slice(0, 400);

/** Every flow of `everyFlow` succeeded, with the expected warnings and reload behaviour. */
function assertEveryFlow(r, { warnings, reloadWarnings = warnings, persistedDevice }) {
  assert.equal(r.created.kind, "resolved", `PinAuth.create: ${show(r.created)}`);
  assert.equal(r.stateAfterCreate, "signedOut");
  for (const step of ["register", "login", "setPin", "unlock"]) {
    assert.equal(r[step].kind, "resolved", `${step}: ${show(r[step])}`);
  }
  assert.equal(r.login.value, "pinSetupRequired");
  assert.equal(r.afterSetPin, "signedIn");
  assert.equal(r.reauth, "resolved");
  assert.equal(r.reauthValid, true, "the re-auth token validates on the backend");
  assert.equal(r.afterExpiry, "pinRequired", "the access token expired, the PIN session did not");
  assert.equal(r.afterUnlock, "signedIn");
  assert.equal(r.accessToken, "string");
  assert.deepEqual(r.warnings, warnings, "warnings of the first page");
  // What the next page load sees: no session (it lived in memory), and the same device
  // (password login → signedIn) only when IndexedDB kept the identity.
  assert.equal(r.reload.created.kind, "resolved", `second PinAuth.create: ${show(r.reload.created)}`);
  assert.equal(r.reload.state, "signedOut");
  assert.equal(r.reload.sameDevice, persistedDevice);
  assert.equal(r.reload.login.value, persistedDevice ? "signedIn" : "pinSetupRequired", show(r.reload.login));
  assert.deepEqual(r.reload.warnings, reloadWarnings, "warnings of the second page");
  assert.equal(r.firstNotSignedOut, true, "the second page did not sign the first out");
}

// ---- localStorage full ----

const QUOTA_ON_EVERY_WRITE = `
  Storage.prototype.setItem = function () {
    throw new DOMException("Setting the value exceeded the quota.", "QuotaExceededError");
  };`;

test("localStorage filled to the last byte: memory fallback with STORAGE_FALLBACK, every flow works", async () => {
  const { page, context, errors } = await openWith();
  try {
    const filled = await call(page, "faults.js", "fillLocalStorage");
    assert.ok(filled.chars > 1_000_000, `filled ${filled.chars} characters`);
    assert.equal(filled.refusal, "QuotaExceededError");
    assert.equal(filled.probe, "QuotaExceededError", "not even 40 more characters fit");
    const r = await call(page, "faults.js", "everyFlow");
    assertEveryFlow(r, { warnings: ["STORAGE_FALLBACK"], persistedDevice: true });
    assert.deepEqual(r.localStorageKeys, []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("setItem throwing QuotaExceededError on every write: memory fallback, every flow works", async () => {
  for (const storage of ["local", "session"]) {
    const { r, errors } = await scenario({ init: QUOTA_ON_EVERY_WRITE }, "everyFlow", { storage });
    assertEveryFlow(r, { warnings: ["STORAGE_FALLBACK"], persistedDevice: true });
    assert.deepEqual(errors, []);
  }
});

// ---- localStorage refusing every access ----

const STORAGE_GETTERS_THROW = `
  for (const name of ["localStorage", "sessionStorage"]) {
    Object.defineProperty(window, name, {
      configurable: true,
      get() { throw new DOMException("The operation is insecure.", "SecurityError"); },
    });
  }`;

const STORAGE_METHODS_THROW = `
  const refuse = () => { throw new DOMException("Access is denied for this document.", "SecurityError"); };
  for (const name of ["getItem", "setItem", "removeItem", "key", "clear"]) Storage.prototype[name] = refuse;
  Object.defineProperty(Storage.prototype, "length", { configurable: true, get: refuse });`;

test("localStorage/sessionStorage getters throwing SecurityError: memory fallback, every flow works", async () => {
  for (const storage of ["local", "session"]) {
    const { r, errors } = await scenario({ init: STORAGE_GETTERS_THROW }, "everyFlow", { storage });
    assertEveryFlow(r, { warnings: ["STORAGE_FALLBACK"], persistedDevice: true });
    assert.equal(r.localStorageKeys, "SecurityError");
    assert.deepEqual(errors, []);
  }
});

test("every Storage method throwing SecurityError: memory fallback, every flow works", async () => {
  const { r, errors } = await scenario({ init: STORAGE_METHODS_THROW }, "everyFlow");
  assertEveryFlow(r, { warnings: ["STORAGE_FALLBACK"], persistedDevice: true });
  assert.deepEqual(errors, []);
});

test("an opaque-origin iframe (sandbox without allow-same-origin): both storages refused, every flow works", async () => {
  const { page, context, errors } = await openWith({ cors: true });
  try {
    await page.evaluate(
      () =>
        new Promise((loaded) => {
          const frame = document.createElement("iframe");
          frame.sandbox = "allow-scripts";
          frame.src = "/pages/harness.html";
          frame.onload = loaded;
          document.body.append(frame);
        }),
    );
    const frame = page.frames().find((f) => f !== page.mainFrame());
    const probe = await frame.evaluate(() => {
      const attempt = (f) => {
        try {
          f();
          return "ok";
        } catch (error) {
          return error.name;
        }
      };
      return { origin, localStorage: attempt(() => localStorage), indexedDB: attempt(() => indexedDB.open("probe")) };
    });
    assert.deepEqual(probe, { origin: "null", localStorage: "SecurityError", indexedDB: "SecurityError" }, "a real opaque origin");
    const r = await call(frame, "faults.js", "everyFlow");
    assertEveryFlow(r, { warnings: ["DEVICE_NOT_PERSISTED", "STORAGE_FALLBACK"], persistedDevice: false });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

// ---- IndexedDB unavailable ----

const INDEXEDDB_GETTER_THROWS = `
  Object.defineProperty(window, "indexedDB", {
    configurable: true,
    get() { throw new DOMException("The user denied permission to access the database.", "SecurityError"); },
  });`;

const INDEXEDDB_OPEN_THROWS = `
  IDBFactory.prototype.open = function () {
    throw new DOMException("Internal error opening backing store for indexedDB.open.", "UnknownError");
  };`;

/** Without a saved identity: DEVICE_NOT_PERSISTED, each page a new device, tokens in memory. */
function assertPageOnlyIdentity({ r, errors }) {
  assertEveryFlow(r, { warnings: ["DEVICE_NOT_PERSISTED"], persistedDevice: false });
  assert.deepEqual(r.localStorageKeys, [], "tokens of a page-only identity stay in memory");
  assert.deepEqual(errors, []);
}

test("the indexedDB getter throwing: the identity lives for the page (DEVICE_NOT_PERSISTED), every flow works", async () => {
  assertPageOnlyIdentity(await scenario({ init: INDEXEDDB_GETTER_THROWS }, "everyFlow"));
});

test("indexedDB.open throwing: the identity lives for the page (DEVICE_NOT_PERSISTED), every flow works", async () => {
  assertPageOnlyIdentity(await scenario({ init: INDEXEDDB_OPEN_THROWS }, "everyFlow"));
});

test("a foreign 'pinauth' database (newer version, or without the store): DEVICE_NOT_PERSISTED, every flow works", async () => {
  for (const [kind, expected] of [
    ["newer", { version: 5, names: ["something-else"] }],
    ["no store", { version: 1, names: ["something-else"] }],
  ]) {
    const { page, context, errors } = await openWith();
    try {
      assert.deepEqual(await call(page, "faults.js", "foreignDatabase", kind), expected);
      assertPageOnlyIdentity({ r: await call(page, "faults.js", "everyFlow"), errors });
      // The foreign database is left as it was.
      assert.deepEqual(await call(page, "faults.js", "foreignDatabase", kind), expected, kind);
    } finally {
      await context.close();
    }
  }
});

test("IndexedDB stalled (an open queued behind a blocked deleteDatabase): create goes on after 10 s with a page-only identity, every flow works", async () => {
  const { page, context, errors } = await openWith();
  try {
    assert.equal(await call(page, "faults.js", "stallDatabase"), "blocked");
    const started = Date.now();
    assertPageOnlyIdentity({ r: await call(page, "faults.js", "everyFlow"), errors });
    assert.ok(Date.now() - started < 60_000);
  } finally {
    await context.close();
  }
});

test("a WebCrypto sign that never settles fails the unlock after 10 s; the next calls and logout work", async () => {
  const { page, context, errors } = await openWith();
  try {
    const r = await call(page, "faults.js", "stalledSigning");
    assert.equal(r.unlock.kind, "rejected", JSON.stringify(r.unlock));
    assert.equal(r.unlock.error.code, "DEVICE_KEY_UNAVAILABLE");
    assert.match(r.unlock.error.message, /within 10 seconds/);
    assert.ok(r.ms >= 9_500 && r.ms < 20_000, `failed after ${r.ms} ms`);
    assert.equal(r.state, "signedIn");
    assert.equal(r.again.kind, "resolved", JSON.stringify(r.again));
    assert.equal(r.logout.kind, "resolved", JSON.stringify(r.logout));
    assert.equal(r.afterLogout, "signedOut");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

// ---- corrupt and foreign values ----

test("corrupt and foreign values in the PIN session slot: create resolves, STORAGE_CORRUPT, fresh state", async () => {
  for (const storage of ["local", "session"]) {
    const { r, errors } = await scenario({}, "corruptTokenSlots", { storage });
    assert.ok(r.cases.length >= 20);
    assert.equal(r.cases.filter((c) => c.foreign).length, 1);
    for (const c of r.cases) {
      const where = `${storage}: ${c.label}`;
      assert.equal(c.created.kind, "resolved", `${where}: ${show(c.created)}`);
      assert.deepEqual(c.warnings, c.foreign ? [] : ["STORAGE_CORRUPT"], where);
      assert.equal(c.state, "signedOut", where);
      if (c.foreign) assert.notEqual(c.left, null, `${where}: another device's token is left to it`);
      else assert.equal(c.left, null, `${where}: the bad value is removed`);
      assert.equal(c.login.value, "signedIn", `${where}: a password login works (the device is known): ${show(c.login)}`);
      assert.equal(c.unlocksLater, "pinRequired", `${where}: and its session is stored again`);
    }
    // Expired but well-formed: no warning (nothing was wrong with it), removed.
    assert.deepEqual(r.expired, { created: { kind: "resolved" }, state: "signedOut", warnings: [], left: null });
    // The access slot is never read from storage: garbage there is ignored and left.
    assert.equal(r.accessGarbage.created.kind, "resolved");
    assert.equal(r.accessGarbage.state, "pinRequired");
    assert.deepEqual(r.accessGarbage.warnings, []);
    assert.equal(r.accessGarbage.left, "{garbage");
    assert.equal(r.accessGarbage.unlock.kind, "resolved");
    assert.deepEqual(errors, []);
  }
});

test("corrupt and foreign device identity records in IndexedDB: create resolves, DEVICE_RESET, a new working device", async () => {
  const { r, errors } = await scenario({}, "corruptIdentityRecords");
  assert.deepEqual(r.goodKeys, ["deviceId", "privateKey", "publicKey", "salt", "v"], "the record format the cases mutate");
  assert.ok(r.cases.length >= 15);
  for (const c of r.cases) {
    assert.equal(c.created.kind, "resolved", `${c.label}: ${show(c.created)}`);
    assert.deepEqual(c.warnings, ["DEVICE_RESET"], c.label);
    assert.equal(c.newDevice, true, c.label);
    assert.equal(c.saved, true, `${c.label}: the new identity replaced the bad record`);
    assert.equal(c.login.value, "pinSetupRequired", `${c.label}: a new device sets its PIN`);
    assert.equal(c.setPin.kind, "resolved", `${c.label}: and can (its key signs): ${show(c.setPin)}`);
  }
  assert.deepEqual(errors, []);
});

test("corrupt and foreign values under the persisted MockBackend's key: create never throws, the backend keeps working", async () => {
  const { r, errors } = await scenario({}, "corruptSnapshots");
  for (const c of r.cases) {
    assert.equal(c.created, "returned", `${c.label}: MockBackend.create`);
    assert.equal(c.login, "ok", `${c.label}: the tab with the last good state answers from it`);
    assert.equal(c.restored, true, `${c.label}: and wrote it back over the unreadable value`);
    assert.equal(c.otherTab, "ok", `${c.label}: which another tab then reads`);
  }
  for (const c of r.inconsistent) {
    assert.equal(c.created.kind, "resolved", c.label);
    for (const step of ["unlock", "login", "devices"]) {
      const o = c[step];
      assert.ok(o.kind === "resolved" || o.kind === "returned" || o.error?.isPinAuthError, `${c.label}: ${step}: ${show(o)}`);
    }
    assert.equal(typeof c.handle, "string", c.label);
  }
  const b = r.blankTab;
  assert.equal(b.created.kind, "resolved");
  assert.equal(b.state, "pinRequired", "the device still has its session locally");
  assert.equal(b.unlock.error?.isPinAuthError, true, show(b.unlock));
  assert.equal(b.stateAfter, "signedOut", `${b.unlock.error?.code} ends the unknown session`);
  for (const step of ["register", "login", "setPin"]) assert.equal(b[step].kind, "resolved", `${step}: ${show(b[step])}`);
  assert.equal(b.final, "signedIn");
  assert.equal(b.restored, true);
  assert.deepEqual(errors, []);
});

// ---- the persisted backend's snapshot write failing ----

const READ_ONLY = new Set(["backend.devices", "backend.outbox", "backend.validateReauthToken"]);

test("the snapshot write failing: STORAGE_UNAVAILABLE, the stored snapshot intact byte for byte, no effect", async () => {
  const { r, errors } = await scenario({}, "persistWriteFails");
  assert.equal(r.stateBefore, "pinRequired");
  for (const [label, { outcome, intact, state }] of Object.entries(r.failing)) {
    assert.equal(intact, true, `${label}: the stored snapshot changed`);
    assert.equal(state, "pinRequired", `${label}: the client's state is unchanged`);
    if (label === "backend.handle") {
      assert.equal(outcome.value.error?.code, "STORAGE_UNAVAILABLE", `${label}: ${show(outcome)}`);
    } else if (READ_ONLY.has(label)) {
      // A request that changes nothing writes nothing: it works while writes fail.
      assert.equal(outcome.kind, "resolved", `${label}: ${show(outcome)}`);
    } else {
      assert.equal(outcome.kind, "rejected", `${label}: ${show(outcome)}`);
      assert.equal(outcome.error.isPinAuthError, true, label);
      assert.equal(outcome.error.code, "STORAGE_UNAVAILABLE", `${label}: ${show(outcome)}`);
    }
  }
  // Right and wrong PINs fail alike while the write fails: no oracle, and no attempt counted.
  assert.equal(r.after.stateAfter, "pinRequired");
  assert.equal(r.after.wrongPin.error?.code, "INVALID_PIN");
  assert.equal(r.after.wrongPin.error.attemptsRemaining, 4, "the failed requests counted no attempt");
  assert.equal(r.after.unlock.kind, "resolved");
  assert.equal(r.after.state, "signedIn");
  assert.equal(r.after.register.kind, "resolved", "the failed registration left nothing half-made");
  assert.equal(r.after.devices, 1);
  assert.equal(r.after.outbox, 1, "the failed forgotPin sent nothing");
  assert.deepEqual(r.after.warnings, []);
  assert.deepEqual(r.first, { failed: "STORAGE_UNAVAILABLE", stored: null, retry: "ok", readable: true });
  assert.deepEqual(errors, []);
});

// ---- two tabs ----

test("two tabs changing the persisted backend at the same moment keep both changes", async () => {
  const rounds = [0, 0, 1, 2, 5, 8];
  for (const [round, jitter] of rounds.entries()) {
    const context = await env.browser.newContext();
    try {
      const a = await context.newPage();
      const b = await context.newPage();
      const errors = [...[a, b].map(watch)];
      for (const page of [a, b]) await page.goto(env.server.origin + "/pages/harness.html");
      const key = `faults-tabs-${round}`;
      const appId = "tabs";
      const email = `tabs-${round}-${Date.now()}@example.com`;
      const setUp = await call(a, "faults.js", "tabSetUp", { key, appId, email });
      assert.equal(setUp.state, "signedIn");
      const opened = await Promise.all([a, b].map((page) => call(page, "faults.js", "tabOpen", { key, appId })));
      for (const o of opened) {
        assert.equal(o.created.kind, "resolved");
        assert.equal(o.state, "pinRequired");
        assert.equal(o.deviceId, setUp.deviceId, "one device: the identity is shared through IndexedDB");
      }
      const at = Date.now() + 500;
      const unlocked = await Promise.all([
        call(a, "faults.js", "tabUnlockAt", { at }),
        call(b, "faults.js", "tabUnlockAt", { at: at + jitter }),
      ]);
      for (const [i, u] of unlocked.entries()) {
        assert.equal(u.unlock.kind, "resolved", `round ${round}, tab ${i}: ${show(u.unlock)}`);
        assert.equal(u.state, "signedIn", `round ${round}, tab ${i}`);
      }
      assert.ok(Math.abs(unlocked[0].startedAt - unlocked[1].startedAt) <= jitter + 50, "the unlocks overlapped");
      await new Promise((settle) => setTimeout(settle, 200));
      for (const [i, page] of [a, b].entries()) {
        const report = await call(page, "faults.js", "tabReport", { key, email });
        assert.equal(report.liveSessions, 1, `round ${round}, tab ${i}: exactly one valid PIN session for the device`);
        assert.deepEqual(report.devices, [setUp.deviceId], `round ${round}, tab ${i}`);
        assert.ok(report.liveAccess >= 2, `round ${round}: both tabs' access tokens are on the server`);
        // Each tab's new access token survived the other tab's write.
        assert.equal(report.reauth, "ok", `round ${round}, tab ${i}: re-authentication after the unlocks`);
      }
      // Two wrong PINs at the same moment: both counted, one after the other.
      const wrongAt = Date.now() + 300;
      const wrong = await Promise.all([
        call(a, "faults.js", "tabWrongPinAt", { at: wrongAt }),
        call(b, "faults.js", "tabWrongPinAt", { at: wrongAt + jitter }),
      ]);
      assert.deepEqual(wrong.map((w) => w.code), ["INVALID_PIN", "INVALID_PIN"], `round ${round}`);
      assert.deepEqual(
        wrong.map((w) => w.attemptsRemaining).sort(),
        [3, 4],
        `round ${round}: the second wrong PIN saw the first one's count`,
      );
      assert.deepEqual(errors.flat(), []);
    } finally {
      await context.close();
    }
  }
});
