// The Web Lock that gives the tabs of an origin their turns on a persisted mock backend
// (src/web/tabs.rs): a few lines here instead of the bindings and closures in the module.

/**
 * Requests the exclusive Web Lock `name`, waiting at most `ms` milliseconds. Resolves with
 * the function that releases it once it is held, or with `null` where Web Locks are not
 * available or the request fails (the caller goes on without); rejects when the wait
 * passed first.
 */
export function lockTurn(name, ms) {
  return new Promise((held, waitedTooLong) => {
    try {
      const locks = navigator.locks;
      const wait = new AbortController();
      const timer = setTimeout(() => wait.abort(), ms);
      locks
        .request(name, { signal: wait.signal }, () => {
          clearTimeout(timer);
          return new Promise(held);
        })
        .catch((e) => (e?.name === "AbortError" ? waitedTooLong() : held(null)));
    } catch {
      held(null);
    }
  });
}

/** Milliseconds on a clock that never goes back, unlike `Date.now()`. */
export function steadyMs() {
  return performance.now();
}
