// The package on a server that renders the page (Node, no DOM): importing it is safe, and
// before `init()` has loaded the module its entry points fail as a PinAuthError that says
// what to do, rather than with a TypeError from inside the glue; `isPinAuthError` answers
// all along, so a `catch` after a failed `init()` works.
//
// PINAUTH_PKG_DIR must name the installed package; scripts/js-tests.sh sets it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const pkgDir = process.env.PINAUTH_PKG_DIR;
assert.ok(pkgDir, "PINAUTH_PKG_DIR must name an installed pinauth package");

// Every browser global a module might reach for while it is imported.
const BROWSER_GLOBALS = ["window", "document", "self", "location", "localStorage", "sessionStorage", "indexedDB", "HTMLElement", "CSSStyleSheet"];
const touched = [];
for (const name of BROWSER_GLOBALS) {
  Object.defineProperty(globalThis, name, {
    configurable: true,
    get() {
      touched.push(name);
      throw new ReferenceError(`${name} is not defined`);
    },
  });
}
const pinauth = await import(pathToFileURL(join(pkgDir, "pinauth.js")).href);
const { default: init, initSync, MockBackend, PinAuth, isPinAuthError } = pinauth;
// The client-only build (`pinauth/client`), imported the same way.
const client = await import(pathToFileURL(join(pkgDir, "client", "pinauth.js")).href);

const lookalike = (code) => Object.assign(new Error("m"), { name: "PinAuthError", code });
const notLoaded = { name: "PinAuthError", code: "INVALID_INPUT", message: /await init\(\) first/ };

test("importing it (either build) touches no browser global", () => {
  assert.deepEqual(touched, []);
});

test("before init(): isPinAuthError answers from the error's name and code", () => {
  for (const e of [new Error("x"), new TypeError("fetch failed"), null, undefined, "PinAuthError", { name: "PinAuthError", code: "INVALID_PIN" }, lookalike(42), lookalike("X".repeat(33))]) {
    assert.equal(isPinAuthError(e), false, String(e?.code ?? e));
  }
  assert.equal(isPinAuthError(lookalike("INVALID_PIN")), true);
});

test("before init(): MockBackend.create throws and PinAuth.create rejects, each a PinAuthError that says to call init()", async () => {
  let thrown;
  try {
    MockBackend.create();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof Error);
  assert.match(thrown.message, notLoaded.message);
  assert.equal(thrown.name, notLoaded.name);
  assert.equal(thrown.code, notLoaded.code);
  assert.equal(isPinAuthError(thrown), true);
  const pending = PinAuth.create({ backend: {}, appId: "ssr" });
  assert.ok(pending instanceof Promise, "PinAuth.create returns a promise rather than throwing");
  await assert.rejects(pending, notLoaded);
});

test("init() cannot load the module here; the catch that follows can still ask isPinAuthError", async () => {
  const loading = init();
  // A PinAuth.create made meanwhile waits for it, then says it failed.
  const waiting = PinAuth.create({ backend: {}, appId: "ssr" });
  const failure = await loading.then(() => undefined, (e) => e);
  await assert.rejects(waiting, { name: "PinAuthError", code: "INVALID_INPUT", message: "pinauth is not loaded: init() failed." });
  assert.ok(failure instanceof Error, "init() rejects on a server");
  assert.equal(isPinAuthError(failure), false);
  assert.throws(() => MockBackend.create(), notLoaded);
});

test("once loaded (initSync with the module's bytes), the same entry points reach the module", () => {
  initSync({ module: readFileSync(join(pkgDir, "pinauth_bg.wasm")) });
  assert.equal(typeof MockBackend.create().handle, "function");
  // A bad option is now the module's own INVALID_INPUT, not the not-loaded one.
  let thrown;
  try {
    MockBackend.create({ unknownOption: true });
  } catch (e) {
    thrown = e;
  }
  assert.equal(thrown?.code, "INVALID_INPUT");
  assert.doesNotMatch(thrown.message, notLoaded.message);
  assert.equal(isPinAuthError(thrown), true);
  // The module checks the code against its list: an unknown one is not a PinAuthError.
  assert.equal(isPinAuthError(lookalike("NOT_A_CODE")), false);
  assert.equal(isPinAuthError(lookalike("INVALID_PIN")), true);
  assert.deepEqual(touched, []);
});

test("the client-only build: no MockBackend, and before init() PinAuth.create says to call it", async () => {
  assert.equal(client.MockBackend, undefined);
  await assert.rejects(client.PinAuth.create({ backend: {}, appId: "ssr" }), notLoaded);
  assert.equal(client.isPinAuthError(lookalike("INVALID_PIN")), true);
  assert.deepEqual(touched, []);
});
