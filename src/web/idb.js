// One IndexedDB database with one object store, and single-request transactions on it
// (src/web/idb.rs turns each failure into its typed error). A failure rejects with the
// stage that failed: "unavailable", "open", "store", "request" or "complete".

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
    request.onupgradeneeded = () => {
      try {
        const database = request.result;
        if (!database.objectStoreNames.contains(store)) database.createObjectStore(store);
      } catch {
        request.transaction?.abort();
      }
    };
    request.onsuccess = () => {
      request.onupgradeneeded = null;
      const database = request.result;
      if (database instanceof IDBDatabase) resolve(database);
      else reject("open");
    };
    request.onerror = () => {
      request.onupgradeneeded = null;
      reject("open");
    };
  });
}

/**
 * Opens the database, runs one request on its store: `get(key)` (in a read-only
 * transaction), `put(value, key)`, `add(value, key)` or `delete(key)` by `method`, and
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
        method === "get" ? objects.get(key)
        : method === "put" ? objects.put(value, key)
        : method === "add" ? objects.add(value, key)
        : objects.delete(key);
    } catch {
      throw "request";
    }
    const completed = await new Promise((resolve) => {
      transaction.oncomplete = () => resolve(true);
      transaction.onerror = () => resolve(false);
      transaction.onabort = () => resolve(false);
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
