
// ---- appended by scripts/wasm-opt.sh (finish_build), from scripts/glue-guards.js ----
// The PIN prompt (src/web/prompt.js, copied next to the glue's snippets): `promptPin` is
// a method of `PinAuth` written in JavaScript, over the module's `__promptConfig`.
import { closePrompt, promptPin } from './snippets/prompt.js';
if (typeof PinAuth === "function") {
  Object.defineProperty(PinAuth.prototype, "promptPin", {
    configurable: true,
    writable: true,
    value(options) {
      return promptPin(this, options, PinAuth.prototype);
    },
  });
}

// Before `init()` (or `initSync`) has loaded the module, as on a server that renders the
// page, wasm-bindgen's entry points would fail reading the missing module: the two
// `create`s fail with a PinAuthError that says what to do instead, and `isPinAuthError`
// answers without the module (from `name` and `code`: it cannot check the code against
// the module's list), so a `catch` after a failed `init()` still works. While `init()` is
// loading the module, `PinAuth.create` (a promise already) waits for it.
{
  const pinAuthError = (message) => Object.assign(new Error(message), { name: "PinAuthError", code: "INVALID_INPUT" });
  const notLoaded = () => pinAuthError("pinauth is not loaded: await init() first, in a browser.");
  const loaded = (call, sync) => function (...args) {
    if (wasm !== undefined) return call.apply(this, args);
    if (sync) throw notLoaded();
    // (wasm-bindgen's own name for the load in flight; checked with typeof, in case a
    // later version names it otherwise.)
    if (typeof __wbg_init_promise === "undefined" || __wbg_init_promise === undefined) return Promise.reject(notLoaded());
    return __wbg_init_promise.then(
      () => call.apply(this, args),
      () => Promise.reject(pinAuthError("pinauth is not loaded: init() failed.")),
    );
  };
  if (typeof PinAuth === "function") PinAuth.create = loaded(PinAuth.create, false);
  if (typeof MockBackend === "function") MockBackend.create = loaded(MockBackend.create, true);
  const inModule = isPinAuthError;
  isPinAuthError = (e) => wasm !== undefined
    ? inModule(e)
    : e instanceof Error && e.name === "PinAuthError" && typeof e.code === "string" && e.code.length <= 32;
}

{
  // A call on an object after `free()` (or with a `this` that is not one) would reach the
  // module with a null pointer: wasm-bindgen throws from inside it, which leaves part of
  // the module's stack behind each time, until every instance of the page fails. Such a
  // call rejects (or throws, for the methods that answer at once) with a PinAuthError
  // here instead, and a second `free()` does nothing. `free()` itself hands the object to
  // the module after the current task: a listener that one of the object's own calls fired
  // (the `state` getter, say) may free it while that call still holds it, which the module
  // would refuse by throwing.
  for (const [Class, name, sync] of [
    [typeof PinAuth === "function" && PinAuth, "PinAuth", ["checkPin", "onStateChange", "onWarning", "__promptConfig"]],
    [typeof MockBackend === "function" && MockBackend, "MockBackend", []],
  ]) {
    if (!Class) continue;
    const proto = Class.prototype;
    for (const [key, d] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
      const part = d.get ? "get" : "value";
      const call = d[part];
      if (key === "constructor" || key === "__destroy_into_raw" || typeof call !== "function") continue;
      d[part] = function (...args) {
        const live = this instanceof Class && this.__wbg_ptr;
        if (live && key === "free") {
          const held = Object.create(proto);
          held.__wbg_ptr = this.__destroy_into_raw();
          // Its open PIN prompt closes (`CANCELLED`, or with the answer to a PIN being
          // checked): no dialog of it stays in the page. (Once freed: closing runs the
          // page's focus handlers, which may call `free()` again.)
          if (Class === PinAuth) closePrompt(this);
          setTimeout(() => call.apply(held));
          return;
        }
        if (live) return call.apply(this, args);
        if (key === "free") return;
        const error = Object.assign(new Error(`This ${name} was freed.`), { name: "PinAuthError", code: "INVALID_INPUT" });
        if (d.get || sync.includes(key)) throw error;
        return Promise.reject(error);
      };
      Object.defineProperty(proto, key, d);
    }
    if (typeof Symbol.dispose === "symbol" && proto[Symbol.dispose]) proto[Symbol.dispose] = proto.free;
  }
}
