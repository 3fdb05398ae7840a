// One IndexedDB database with one object store, and single-request transactions on it
// (src/web/idb.rs turns each failure into its typed error). A failure rejects with the
// stage that failed: "unavailable", "open", "store", "request" or "complete". An open or
// a transaction that has not finished after LIMIT_MS fails too: one can wait forever (an
// open queued behind a `deleteDatabase` that another connection blocks, a browser bug).

const LIMIT_MS = 10_000;

/** Opens `name` at `version`; an upgrade creates `store`, or is aborted (failing the open)
 * rather than leave a database without its store. */
function open(name, version, store) {
  let request;
  try {
    const factory = globalThis.indexedDB;
    if (!(factory instanceof IDBFactory)) throw "unavailable";
    request = factory.open(name, version);
  } catch {
    return Promise.reject("unavailable");
  }
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject("open");
    }, LIMIT_MS);
    request.onupgradeneeded = () => {
      try {
        const database = request.result;
        if (!database.objectStoreNames.contains(store)) database.createObjectStore(store);
      } catch {
        request.transaction?.abort();
      }
    };
    request.onsuccess = () => {
      clearTimeout(timer);
      request.onupgradeneeded = null;
      const database = request.result;
      // Opened after the caller gave up: closed, so that it blocks nothing.
      if (late) database?.close?.();
      else if (database instanceof IDBDatabase) resolve(database);
      else reject("open");
    };
    request.onerror = () => {
      clearTimeout(timer);
      request.onupgradeneeded = null;
      reject("open");
    };
  });
}

/**
 * Opens the database, runs one request on its store: `get(key)` (in a read-only
 * transaction), `put(value, key)`, `add(value, key)`, `delete(key)`, or
 * `deleteUnlessNamed`: a `get(key)` followed in the same transaction by `delete(key)`
 * unless the record's `deviceId` is a string other than `value`, by `method`, and
 * resolves with the request's result once the transaction has completed (so a write is
 * committed when it resolves); an `add` at a key that holds a value resolves with `null`.
 * The database is closed after.
 */
export async function idbRun(name, version, store, method, key, value) {
  const database = await open(name, version, store);
  try {
    let transaction;
    let objects;
    try {
      transaction = database.transaction(store, method === "get" ? "readonly" : "readwrite");
      objects = transaction.objectStore(store);
    } catch {
      throw "store";
    }
    let request;
    try {
      request =
        method === "get" || method === "deleteUnlessNamed" ? objects.get(key)
        : method === "put" ? objects.put(value, key)
        : method === "add" ? objects.add(value, key)
        : objects.delete(key);
      if (method === "deleteUnlessNamed") {
        request.onsuccess = () => {
          const named = request.result?.deviceId;
          if (request.result !== undefined && !(typeof named === "string" && named !== value)) {
            objects.delete(key);
          }
        };
      }
    } catch {
      throw "request";
    }
    const completed = await new Promise((resolve) => {
      const timer = setTimeout(() => {
        try {
          transaction.abort();
        } catch {}
        resolve(false);
      }, LIMIT_MS);
      const settle = (done) => () => {
        clearTimeout(timer);
        resolve(done);
      };
      transaction.oncomplete = settle(true);
      transaction.onerror = settle(false);
      transaction.onabort = settle(false);
    });
    if (!completed) {
      if (method === "add" && request.error?.name === "ConstraintError") return null;
      throw "complete";
    }
    try {
      return request.result;
    } catch {
      throw "complete";
    }
  } finally {
    database.close();
  }
}
