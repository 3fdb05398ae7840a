// The page side of the browser benchmark: every figure is measured here, in one page,
// and reported to bench/run.mjs through `window.bench`.
// Loading (importing the JS glue, fetching the wasm bytes) is timed apart from
// instantiating (compiling those bytes and instantiating the module): the first depends on
// the network and the server, the second on the SDK.
const started = performance.now();
const { default: init, MockBackend, PinAuth, benchPinProof } = await import("/pkg/pinauth.js");
const bytes = await (await fetch("/pkg/pinauth_bg.wasm")).arrayBuffer();
const loaded = performance.now();
await init({ module_or_path: bytes });
const instantiated = performance.now();

const PIN = "730519";
const SALT = Uint8Array.from({ length: 32 }, (_, i) => i);
const EXPECTED = "fafc33e2d9664fa6a422af738a4b3db2b98066109b557b15b002e8e27ffa333c";
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

async function hashWasmProof() {
  return hashwasm.argon2id({
    password: PIN, salt: SALT, parallelism: 1, iterations: 2, memorySize: 19456,
    hashLength: 32, outputType: "binary",
  });
}

window.bench = {
  /** Milliseconds of loading the glue and the wasm bytes, of `init()` on those bytes
   *  (compile + instantiate), then of the page's first `PinAuth.create`: for a returning
   *  device (its identity already in IndexedDB), or with `firstVisit` for a new one (a
   *  new key written to IndexedDB). */
  async create(firstVisit) {
    const backend = MockBackend.create();
    const appId = firstVisit ? "first" + Math.random().toString(36).slice(2) : "returning";
    const t0 = performance.now();
    const auth = await PinAuth.create({ backend, appId });
    const create = performance.now() - t0;
    auth.free();
    backend.free();
    return { load: loaded - started, instantiate: instantiated - loaded, create };
  },

  /** The page's first PIN proof by each implementation, in the order given (`pinauthFirst`
   *  or not), as a visit makes it: after `PinAuth.create` and `idleMs` of the user typing
   *  the PIN. hash-wasm's includes compiling its module, which it does on its first call.
   *  (Without the `create`, the module's first proof takes 16–22 ms longer.) */
  async firstProofs(pinauthFirst, idleMs) {
    const backend = MockBackend.create();
    const auth = await PinAuth.create({ backend, appId: "visit", storage: "memory" });
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    const times = {};
    const timePinauth = () => {
      const t = performance.now();
      const proof = benchPinProof(PIN, SALT);
      times.pinauth = performance.now() - t;
      if (hex(proof) !== EXPECTED) throw new Error("pinauth proof differs");
    };
    const timeHashWasm = async () => {
      const t = performance.now();
      const proof = await hashWasmProof();
      times.hashWasm = performance.now() - t;
      if (hex(proof) !== EXPECTED) throw new Error("hash-wasm proof differs");
    };
    if (pinauthFirst) timePinauth();
    await timeHashWasm();
    if (!pinauthFirst) timePinauth();
    auth.free();
    backend.free();
    return times;
  },

  /** `runs` PIN proofs by each implementation, interleaved, after one warm-up each. */
  async proofs(runs) {
    if (hex(benchPinProof(PIN, SALT)) !== EXPECTED) throw new Error("pinauth proof differs");
    if (hex(await hashWasmProof()) !== EXPECTED) throw new Error("hash-wasm proof differs");
    const pinauth = [];
    const hashWasm = [];
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      benchPinProof(PIN, SALT);
      pinauth.push(performance.now() - t);
      t = performance.now();
      await hashWasmProof();
      hashWasm.push(performance.now() - t);
    }
    return { pinauth, hashWasm };
  },

  /** `runs` unlocks: `loginWithPin` start to `signedIn`, on the in-page mock backend. */
  async unlocks(runs) {
    const backend = MockBackend.create({ maxPinAttempts: 10 });
    const appId = "unlock" + Math.random().toString(36).slice(2);
    const auth = await PinAuth.create({ backend, appId, storage: "memory" });
    await auth.register("bench@example.com", "correct horse battery");
    await auth.login("bench@example.com", "correct horse battery");
    await auth.setPin(PIN);
    const times = [];
    // Unlocking while signed in does the same work as from "pinRequired": the proof, a
    // challenge, a WebCrypto signature, the backend's checks and a new access token.
    for (let i = 0; i <= runs; i++) {
      const t = performance.now();
      await auth.loginWithPin(PIN);
      const elapsed = performance.now() - t;
      if (auth.state !== "signedIn") throw new Error("unlock did not sign in");
      if (i > 0) times.push(elapsed); // the first is warm-up
    }
    return times;
  },
};
window.benchReady = true;
