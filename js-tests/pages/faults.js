// Page side of the browser-fault tests (browser/faults.test.mjs): what the SDK does when
// localStorage or IndexedDB fail, when every key it uses holds corrupt or foreign data,
// and when the persisted MockBackend cannot write its snapshot. Each scenario returns
// plain JSON: the outcome of every step ({ kind, value | error }, see common.js), the
// warnings raised, and what storage holds afterwards.
import { MockBackend, PinAuth } from "pinauth";
import { describe, outcome, freshEmail } from "./common.js";

const PASSWORD = "correct horse battery";
const PIN = "730519";
const WRONG = "730591";
const NEW_PIN = "482916";

/** The storage key of a token slot. */
const slotKey = (appId, slot) => `pinauth:${appId}:v1:${slot}`;

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** Creates a PinAuth; never throws: `{ auth, warnings, created }` or `{ created }` with the error. */
async function create(options) {
  let auth;
  try {
    auth = await PinAuth.create(options);
  } catch (error) {
    return { created: { kind: "rejected", error: describe(error) } };
  }
  const warnings = [];
  auth.onWarning((w) => warnings.push(w.code));
  return { auth, warnings, created: { kind: "resolved" } };
}

/** Waits (polling `auth.state`) until `state`, at most `ms`. */
async function until(auth, state, ms = 5_000) {
  const end = Date.now() + ms;
  while (auth.state !== state && Date.now() < end) await sleep(50);
  return auth.state;
}

/**
 * Every flow in one page, on an in-memory backend whose access tokens last 2 s: create,
 * register, password login, PIN setup, re-authentication (validated by the backend),
 * unlock once the access token expired, then a second `PinAuth` (what a reload sees).
 */
export async function everyFlow({ appId = "faults", storage } = {}) {
  const email = freshEmail("faults");
  const backend = MockBackend.create({ accessTokenTtlSeconds: 2 });
  const options = { backend, appId, ...(storage ? { storage } : {}) };
  const first = await create(options);
  const r = { created: first.created };
  if (!first.auth) return r;
  const { auth } = first;
  r.stateAfterCreate = auth.state;
  r.register = await outcome(() => auth.register(email, PASSWORD));
  r.login = await outcome(() => auth.login(email, PASSWORD));
  r.setPin = await outcome(() => auth.setPin(PIN));
  r.afterSetPin = auth.state;
  const reauth = await outcome(() => auth.reauthenticate(PIN));
  r.reauth = reauth.kind;
  r.reauthValid = reauth.kind === "resolved" && (await backend.validateReauthToken(reauth.value.token)).valid;
  r.afterExpiry = await until(auth, "pinRequired");
  r.unlock = await outcome(() => auth.loginWithPin(PIN));
  r.afterUnlock = auth.state;
  r.accessToken = typeof (await outcome(() => auth.getAccessToken())).value;
  r.warnings = [...first.warnings];

  const second = await create(options);
  r.reload = { created: second.created };
  if (second.auth) {
    r.reload.state = second.auth.state;
    r.reload.sameDevice = second.auth.deviceId === auth.deviceId;
    r.reload.login = await outcome(() => second.auth.login(email, PASSWORD));
    r.reload.warnings = second.warnings;
  }
  r.firstNotSignedOut = auth.state !== "signedOut";
  r.localStorageKeys = keysOf(() => localStorage);
  return r;
}

/** The keys of a storage that start with "pinauth:", or the name of the error reading it. */
function keysOf(storage) {
  try {
    const s = storage();
    return Array.from({ length: s.length }, (_, i) => s.key(i)).filter((k) => k.startsWith("pinauth:"));
  } catch (error) {
    return error.name;
  }
}

/**
 * Fills localStorage to the last byte with filler keys (binary search on their length),
 * so that the next write of any real size throws the browser's own QuotaExceededError.
 */
export function fillLocalStorage() {
  const attempt = (key, length) => {
    try {
      localStorage.setItem(key, "x".repeat(length));
      return true;
    } catch (error) {
      return error.name;
    }
  };
  let chars = 0;
  let refusal;
  for (let i = 0; i < 8; i++) {
    const key = `filler-${i}`;
    let [low, high] = [0, 11 << 20];
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      const result = attempt(key, mid);
      if (result === true) low = mid;
      else [high, refusal] = [mid - 1, result];
    }
    if (attempt(key, low) !== true || low === 0) {
      localStorage.removeItem(key);
      break;
    }
    chars += low;
  }
  return { chars, refusal, probe: attempt("probe", 40) };
}

// ---- corrupt and foreign values ----

/** Values that are not a token this SDK wrote (`good` is one that is). */
function corruptTokens(good) {
  const parsed = JSON.parse(good);
  const edit = (change) => JSON.stringify({ ...parsed, ...change });
  return [
    ["empty", ""],
    ["half a JSON object", "{"],
    ["null", "null"],
    ["an array", "[]"],
    ["a number", "42"],
    ["a huge number", "1e400"],
    ["a string", '"text"'],
    ["an empty object", "{}"],
    ["control characters", "\u0000\u0001\u001f"],
    ["a lone surrogate", "\ud800"],
    ["not JSON", "pinauth token"],
    ["truncated", good.slice(0, -7)],
    ["trailing garbage", good + "}"],
    ["a deviceId of the wrong type", edit({ deviceId: 1 })],
    ["a deviceId of the wrong length", edit({ deviceId: "AAAA" })],
    ["a token of the wrong length", edit({ token: "AAAA" })],
    ["expiresAt as a string", edit({ expiresAt: String(parsed.expiresAt) })],
    ["expiresAt negative", edit({ expiresAt: -1 })],
    ["an unknown field (a newer schema)", edit({ version: 2 })],
    ["a missing field", JSON.stringify({ ...parsed, email: undefined })],
    ["JSON nested 100 000 deep", "[".repeat(100_000) + "]".repeat(100_000)],
    ["a 1 MB string", "7".repeat(1 << 20)],
  ];
}

/**
 * Corrupt and foreign values in the token slots: each makes `PinAuth.create` resolve,
 * signed out, with a STORAGE_CORRUPT warning and the value removed (another device's
 * token, which another tab's identity may be using, is left, with no warning); a
 * password login then gives a working session again (the device is known, so it is
 * `signedIn` at once).
 */
export async function corruptTokenSlots({ storage = "local" } = {}) {
  const appId = `corrupt-${storage}`;
  const area = storage === "session" ? sessionStorage : localStorage;
  const key = slotKey(appId, "pinSession");
  const email = freshEmail("corrupt");
  const backend = MockBackend.create();
  const { auth } = await create({ backend, appId, storage });
  await auth.register(email, PASSWORD);
  await auth.login(email, PASSWORD);
  await auth.setPin(PIN);
  const other = await create({ backend, appId: `${appId}-other`, storage: "memory" });
  // Each live client re-reads its slot once a second (and would be the one to find, remove
  // and report a bad value), so only the client under test may be alive.
  auth.free();
  const r = { cases: [] };
  const good = area.getItem(key);
  const foreign = JSON.stringify({ ...JSON.parse(good), deviceId: other.auth.deviceId });
  for (const [label, value] of [...corruptTokens(good), ["another device's token", foreign]]) {
    area.setItem(key, value);
    const { auth: later, warnings, created } = await create({ backend, appId, storage });
    const c = { label, created, warnings, foreign: value === foreign };
    if (later) {
      c.state = later.state;
      c.left = area.getItem(key);
      c.login = await outcome(() => later.login(email, PASSWORD));
      later.free();
      const reloaded = (await create({ backend, appId, storage })).auth;
      c.unlocksLater = reloaded?.state;
      reloaded?.free();
    }
    r.cases.push(c);
  }

  // A token that is well-formed but expired: no warning, signed out, removed.
  const expired = JSON.parse(area.getItem(key));
  area.setItem(key, JSON.stringify({ ...expired, expiresAt: expired.receivedAt + 1 }));
  const afterExpired = await create({ backend, appId, storage });
  r.expired = { created: afterExpired.created, state: afterExpired.auth?.state, warnings: afterExpired.warnings, left: area.getItem(key) };
  await afterExpired.auth.login(email, PASSWORD);
  afterExpired.auth.free();

  // The access slot is never read from storage (access tokens live in memory): garbage
  // there changes nothing and is left alone.
  const accessKey = slotKey(appId, "access");
  area.setItem(accessKey, "{garbage");
  const withAccessGarbage = await create({ backend, appId, storage });
  r.accessGarbage = {
    created: withAccessGarbage.created,
    state: withAccessGarbage.auth?.state,
    warnings: withAccessGarbage.warnings,
    left: area.getItem(accessKey),
    unlock: await outcome(() => withAccessGarbage.auth.loginWithPin(PIN)),
  };
  area.removeItem(accessKey);
  return r;
}

/** Runs one request of the IndexedDB identity store ("pinauth" / "identities"). */
function identityStore(mode, run) {
  return new Promise((ok, fail) => {
    const open = indexedDB.open("pinauth", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("identities");
    open.onerror = () => fail(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction("identities", mode);
      const request = run(tx.objectStore("identities"));
      tx.oncomplete = () => (db.close(), ok(request.result));
      tx.onerror = tx.onabort = () => (db.close(), fail(tx.error));
    };
  });
}

async function keyPair(extractable = false) {
  return crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, extractable, ["sign", "verify"]);
}

/** Records that are not an identity this SDK saved (`good` is one that is). */
async function corruptRecords(good) {
  const other = await keyPair();
  const extractable = await keyPair(true);
  const edit = (change) => ({ ...good, ...change });
  const without = (name) => Object.fromEntries(Object.entries(good).filter(([k]) => k !== name));
  const otherPublic = new Uint8Array(await crypto.subtle.exportKey("raw", other.publicKey));
  return [
    ["a string", "identity"],
    ["null", null],
    ["a number", 42],
    ["an array", [good]],
    ["an empty object", {}],
    ["a Blob", new Blob(["identity"])],
    ["a newer schema (v: 2)", edit({ v: 2 })],
    ["v as a string", edit({ v: "1" })],
    ["no deviceId", without("deviceId")],
    ["a deviceId that is not base64url", edit({ deviceId: "!".repeat(22) })],
    ["a short salt", edit({ salt: good.salt.slice(0, 31) })],
    ["a salt that is an ArrayBuffer", edit({ salt: good.salt.buffer.slice(0) })],
    ["a 1 MB salt", edit({ salt: new Uint8Array(1 << 20) })],
    ["a public key off the curve", edit({ publicKey: new Uint8Array(65).fill(0xff).fill(4, 0, 1) })],
    ["no privateKey", without("privateKey")],
    ["a public key as privateKey", edit({ privateKey: other.publicKey })],
    ["an extractable privateKey", edit({ privateKey: extractable.privateKey })],
    ["the private key of another pair", edit({ publicKey: otherPublic })],
  ];
}

/**
 * Corrupt and foreign device identity records in IndexedDB: each makes `PinAuth.create`
 * resolve with a DEVICE_RESET warning and a new device id; the new identity is saved (the
 * next page finds it) and signs (its PIN setup succeeds).
 */
export async function corruptIdentityRecords() {
  const appId = "corrupt-identity";
  const backend = MockBackend.create();
  const email = freshEmail("identity");
  const { auth } = await create({ backend, appId, storage: "memory" });
  await auth.register(email, PASSWORD);
  const good = await identityStore("readonly", (s) => s.get(appId));
  const r = { goodKeys: Object.keys(good).sort(), cases: [] };
  for (const [label, value] of await corruptRecords(good)) {
    await identityStore("readwrite", (s) => s.put(value, appId));
    const later = await create({ backend, appId, storage: "memory" });
    const c = { label, created: later.created, warnings: later.warnings };
    if (later.auth) {
      c.newDevice = later.auth.deviceId !== good.deviceId;
      c.saved = (await identityStore("readonly", (s) => s.get(appId)))?.deviceId === later.auth.deviceId;
      c.login = await outcome(() => later.auth.login(email, PASSWORD));
      c.setPin = await outcome(() => later.auth.setPin(PIN));
    }
    r.cases.push(c);
  }
  return r;
}

/**
 * A database named "pinauth" that is not this SDK's: of a newer version (the SDK's open
 * fails with a VersionError event), or at version 1 without the "identities" store (the
 * transaction fails). Made before the SDK opens it.
 */
export function foreignDatabase(kind) {
  return new Promise((ok, fail) => {
    const open = kind === "newer" ? indexedDB.open("pinauth", 5) : indexedDB.open("pinauth", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("something-else");
    open.onerror = () => fail(open.error);
    open.onsuccess = () => {
      const names = [...open.result.objectStoreNames];
      open.result.close();
      ok({ version: open.result.version, names });
    };
  });
}

/**
 * IndexedDB stalled: page code holds a connection to "pinauth" (and ignores its
 * `versionchange`) while it deletes the database, so the delete is blocked and every
 * open queued behind it waits as long as the page keeps the connection. Resolves once the
 * delete reports it is blocked.
 */
export function stallDatabase() {
  return new Promise((ok, fail) => {
    const open = indexedDB.open("pinauth");
    open.onerror = () => fail(open.error);
    open.onsuccess = () => {
      window.__heldDatabase = open.result;
      const removal = indexedDB.deleteDatabase("pinauth");
      removal.onblocked = () => ok("blocked");
      removal.onsuccess = () => fail(new Error("the delete was not blocked"));
    };
  });
}

/**
 * Corrupt and foreign values under the persisted MockBackend's key. `MockBackend.create`
 * never throws (it reads nothing); the tab that holds the last good state keeps working
 * and its next successful request writes that state back over the unreadable value; a
 * tab with no good state starts from an empty one.
 */
export async function corruptSnapshots() {
  const key = `faults-server-${Math.random().toString(36).slice(2)}`;
  const email = freshEmail("snapshot");
  const tab = MockBackend.create({ persistKey: key });
  const { auth } = await create({ backend: tab, appId: "snapshot" });
  await auth.register(email, PASSWORD);
  await auth.login(email, PASSWORD);
  await auth.setPin(PIN);
  const good = localStorage.getItem(key);
  const parsed = JSON.parse(good);
  const edit = (change) => JSON.stringify({ ...parsed, ...change });
  const login = async (backend) =>
    JSON.parse(await backend.handle(JSON.stringify({ endpoint: "login", email, password: PASSWORD, deviceId: auth.deviceId })));
  const variants = [
    ["empty", ""],
    ["half a JSON object", "{"],
    ["null", "null"],
    ["an array", "[]"],
    ["an empty object", "{}"],
    ["a lone surrogate", "\ud800"],
    ["truncated", good.slice(0, good.length >> 1)],
    ["an older version (SHA-256 token hashes)", edit({ version: 1 })],
    ["a newer version", edit({ version: 3 })],
    ["an unknown field", edit({ migratedFrom: "elsewhere" })],
    ["accounts of the wrong type", edit({ accounts: [] })],
    ["a pepper of the wrong length", edit({ pepper: "AAAA" })],
    ["JSON nested 100 000 deep", "[".repeat(100_000) + "]".repeat(100_000)],
    ["a 1 MB string", "x".repeat(1 << 20)],
  ];
  const r = { cases: [] };
  for (const [label, value] of variants) {
    localStorage.setItem(key, value);
    const c = { label, created: (await outcome(() => MockBackend.create({ persistKey: key }))).kind };
    const other = MockBackend.create({ persistKey: key });
    // The tab with the last good state answers from it and writes it back...
    c.login = code(await login(tab));
    c.restored = readable(localStorage.getItem(key));
    // ...which another tab then reads.
    c.otherTab = code(await login(other));
    r.cases.push(c);
  }

  // Semantically inconsistent but well-formed snapshots: typed errors, never a panic.
  const tokens = Object.fromEntries(Object.entries(parsed.tokens).map(([h, t]) => [h, { ...t, userId: "u_nobody" }]));
  const inconsistent = [
    // (in this order: each leaves the device a session for the next, except the last)
    ["a challenge of an unknown device", edit({ challenges: [{ hash: Object.keys(parsed.tokens)[0], deviceId: "AAAAAAAAAAAAAAAAAAAAAA", expiresAt: 1 }] })],
    ["tokens of a user that does not exist", edit({ tokens })],
    ["no accounts but live tokens", edit({ accounts: {} })],
  ];
  r.inconsistent = [];
  for (const [label, value] of inconsistent) {
    localStorage.setItem(key, value);
    const fresh = MockBackend.create({ persistKey: key });
    const later = await create({ backend: fresh, appId: "snapshot" });
    r.inconsistent.push({
      label,
      created: later.created,
      unlock: await outcome(() => later.auth.loginWithPin(PIN)),
      login: await outcome(() => later.auth.login(email, PASSWORD)),
      devices: await outcome(() => fresh.devices(email)),
      handle: code(await login(fresh)),
    });
  }
  // Back to the good snapshot, and a fresh PIN session on this device for what follows.
  localStorage.setItem(key, good);
  await (await create({ backend: MockBackend.create({ persistKey: key }), appId: "snapshot" })).auth.login(email, PASSWORD);

  // A tab with no good state of its own, over an unreadable snapshot: PinAuth.create
  // resolves (this device still has its session locally), the unlock is refused by the
  // empty server with a typed error, and everything works again after a new sign-up.
  localStorage.setItem(key, "{");
  const blank = MockBackend.create({ persistKey: key });
  const later = await create({ backend: blank, appId: "snapshot" });
  r.blankTab = {
    created: later.created,
    state: later.auth.state,
    unlock: await outcome(() => later.auth.loginWithPin(PIN)),
    stateAfter: later.auth.state,
    register: await outcome(() => later.auth.register(email, PASSWORD)),
    login: await outcome(() => later.auth.login(email, PASSWORD)),
    setPin: await outcome(() => later.auth.setPin(PIN)),
    final: later.auth.state,
    restored: readable(localStorage.getItem(key)),
  };
  localStorage.removeItem(key);
  return r;
}

/** "ok", or the error code of a protocol response. */
const code = (response) => (response.ok ? "ok" : response.error?.code);

/** Whether `text` is a snapshot this SDK writes: version 2 JSON with its fields. */
function readable(text) {
  try {
    const snapshot = JSON.parse(text);
    return snapshot.version === 2 && typeof snapshot.accounts === "object" && typeof snapshot.pepper === "string";
  } catch {
    return false;
  }
}

// ---- the persisted backend's snapshot write failing ----

/**
 * Makes `localStorage.setItem` throw the browser's QuotaExceededError for `key` only,
 * while `window.failPersist` is true.
 */
function failWritesOf(key) {
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (k, v) {
    if (window.failPersist && k === key) {
      throw new DOMException("Setting the value of '" + k + "' exceeded the quota.", "QuotaExceededError");
    }
    return setItem.call(this, k, v);
  };
}

/**
 * While the snapshot write fails, every request fails with STORAGE_UNAVAILABLE (PinAuth
 * flows reject with it, `handle` answers it, the other backend methods reject with it)
 * and the stored snapshot stays byte for byte what it was; afterwards nothing of the
 * failed requests shows (no account half-made, no PIN attempt counted).
 */
export async function persistWriteFails() {
  const key = `faults-persist-${Math.random().toString(36).slice(2)}`;
  failWritesOf(key);
  const ann = freshEmail("ann");
  const bob = freshEmail("bob");
  const backend = MockBackend.create({ persistKey: key });
  const setup = await create({ backend, appId: "persist" });
  await setup.auth.register(ann, PASSWORD);
  await setup.auth.login(ann, PASSWORD);
  await setup.auth.setPin(PIN);
  await setup.auth.forgotPin(ann);
  const resetToken = (await backend.outbox(ann)).at(-1).resetToken;
  const { auth, warnings } = await create({ backend, appId: "persist" });
  const r = { stateBefore: auth.state, failing: {} };
  const before = localStorage.getItem(key);
  const intact = () => localStorage.getItem(key) === before;

  window.failPersist = true;
  const calls = {
    "loginWithPin(right PIN)": () => auth.loginWithPin(PIN),
    "loginWithPin(wrong PIN)": () => auth.loginWithPin(WRONG),
    "register": () => auth.register(bob, PASSWORD),
    "login": () => auth.login(ann, PASSWORD),
    "forgotPin": () => auth.forgotPin(ann),
    "resetPin": () => auth.resetPin(resetToken, NEW_PIN),
    "backend.devices": () => backend.devices(ann),
    "backend.outbox": () => backend.outbox(ann),
    "backend.validateReauthToken": () => backend.validateReauthToken("A".repeat(43)),
    "backend.clear": () => backend.clear(),
    "backend.handle": async () => JSON.parse(await backend.handle(JSON.stringify({ endpoint: "register", email: bob, password: PASSWORD }))),
  };
  for (const [label, call] of Object.entries(calls)) {
    r.failing[label] = { outcome: await outcome(call), intact: intact(), state: auth.state };
  }
  window.failPersist = false;

  r.after = {
    stateAfter: auth.state,
    wrongPin: await outcome(() => auth.loginWithPin(WRONG)),
    unlock: await outcome(() => auth.loginWithPin(PIN)),
    state: auth.state,
    register: await outcome(() => auth.register(bob, PASSWORD)),
    devices: (await backend.devices(ann)).length,
    outbox: (await backend.outbox(ann)).length,
    warnings,
  };

  // With no snapshot stored yet the failed request leaves nothing in memory either.
  const firstKey = `${key}-first`;
  failWritesOf(firstKey);
  const blank = MockBackend.create({ persistKey: firstKey });
  const request = JSON.stringify({ endpoint: "register", email: ann, password: PASSWORD });
  window.failPersist = true;
  r.first = { failed: JSON.parse(await blank.handle(request)).error?.code, stored: localStorage.getItem(firstKey) };
  window.failPersist = false;
  const retry = JSON.parse(await blank.handle(request));
  r.first.retry = retry.ok ? "ok" : retry.error?.code;
  r.first.readable = readable(localStorage.getItem(firstKey));
  localStorage.removeItem(key);
  localStorage.removeItem(firstKey);
  return r;
}

// ---- two tabs ----

/** Tab one: signs up on a persisted backend and sets a PIN. */
export async function tabSetUp({ key, appId, email }) {
  const backend = MockBackend.create({ persistKey: key });
  const { auth } = await create({ backend, appId });
  await auth.register(email, PASSWORD);
  await auth.login(email, PASSWORD);
  await auth.setPin(PIN);
  return { state: auth.state, deviceId: auth.deviceId };
}

/** A later visit in this tab: keeps the backend and client on `window` for the next calls. */
export async function tabOpen({ key, appId }) {
  window.tabBackend = MockBackend.create({ persistKey: key });
  const { auth, created } = await create({ backend: window.tabBackend, appId });
  window.tabAuth = auth;
  return { created, state: auth?.state, deviceId: auth?.deviceId };
}

/** Unlocks at the wall-clock time `at` (ms), so that two tabs start together. */
export async function tabUnlockAt({ at }) {
  await sleep(Math.max(0, at - Date.now()));
  const startedAt = Date.now();
  const unlock = await outcome(() => window.tabAuth.loginWithPin(PIN));
  return { startedAt, unlock, state: window.tabAuth.state };
}

/** A wrong PIN to re-authenticate at the wall-clock time `at` (ms): what the server counted. */
export async function tabWrongPinAt({ at }) {
  await sleep(Math.max(0, at - Date.now()));
  const wrong = await outcome(() => window.tabAuth.reauthenticate(WRONG));
  return { code: wrong.error?.code, attemptsRemaining: wrong.error?.attemptsRemaining };
}

/** What the server holds for this device, read from the persisted snapshot. */
export async function tabReport({ key, email }) {
  const snapshot = JSON.parse(localStorage.getItem(key));
  const now = Date.now();
  const mine = Object.values(snapshot.tokens).filter((t) => t.deviceId === window.tabAuth.deviceId);
  const live = (kind) => mine.filter((t) => t.kind === kind && t.expiresAt > now).length;
  return {
    liveSessions: live("pinSession"),
    liveAccess: live("access"),
    devices: (await window.tabBackend.devices(email)).map((d) => d.deviceId),
    state: window.tabAuth.state,
    reauth: (await outcome(() => window.tabAuth.reauthenticate(PIN))).error?.code ?? "ok",
  };
}

/**
 * A WebCrypto `sign` that never settles (a wrapper around `crypto.subtle` that hangs):
 * the unlock fails after the 10-second limit instead of holding the client's later calls,
 * and once `sign` works again so does the next unlock, and logout.
 */
export async function stalledSigning() {
  const backend = MockBackend.create();
  const auth = await PinAuth.create({ backend, appId: "stalled-sign", storage: "memory" });
  const email = freshEmail("stalled-sign");
  await auth.register(email, PASSWORD);
  await auth.login(email, PASSWORD);
  await auth.setPin(PIN);
  const sign = SubtleCrypto.prototype.sign;
  SubtleCrypto.prototype.sign = () => new Promise(() => {});
  const r = {};
  const started = performance.now();
  try {
    r.unlock = await outcome(() => auth.loginWithPin(PIN), 30_000);
    r.ms = performance.now() - started;
  } finally {
    SubtleCrypto.prototype.sign = sign;
  }
  r.state = auth.state;
  r.again = await outcome(() => auth.loginWithPin(PIN));
  r.logout = await outcome(() => auth.logout());
  r.afterLogout = auth.state;
  return r;
}
