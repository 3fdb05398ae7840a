// The WebCrypto calls of the device key (src/web/keys.rs checks what they return and turns
// each failure into its typed error). A failure rejects with the step that failed:
// "unavailable", "generate", "pair", "export", "sign", "key" or "verify", or with "timeout"
// when a WebCrypto call took over `LIMIT_MS`.

const P256 = { name: "ECDSA", namedCurve: "P-256" };
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" };

/** `globalThis.crypto.subtle`, which needs a secure context. */
function subtle() {
  try {
    const crypto = globalThis.crypto;
    const found = crypto instanceof Crypto ? crypto.subtle : undefined;
    if (found instanceof SubtleCrypto) return found;
  } catch {
    // A throwing getter is the same as none.
  }
  throw "unavailable";
}

/** How long one WebCrypto call may take: one that never settles (a wrapper of the page's
 * or an extension's around `crypto.subtle`, say) would otherwise hold every later call of
 * the client, a logout's request included. */
const LIMIT_MS = 10_000;

/** Runs `call` on `subtle`, rejecting with `name` when it throws or rejects, and with
 * "timeout" when it takes longer than `LIMIT_MS`. */
async function step(name, call) {
  const crypto = subtle();
  let timer;
  try {
    return await Promise.race([
      call(crypto),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject("timeout"), LIMIT_MS);
      }),
    ]);
  } catch (failed) {
    throw failed === "timeout" ? failed : name;
  } finally {
    clearTimeout(timer);
  }
}

/** The bytes of `buffer`, or undefined when it is no ArrayBuffer. */
const bytes = (buffer) => (buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : undefined);

/** A new non-extractable ECDSA P-256 key pair: `{ privateKey, publicKey }`, the public key
 * as its raw (uncompressed point) bytes. */
export async function generateKey() {
  const pair = await step("generate", (s) => s.generateKey(P256, false, ["sign", "verify"]));
  const { privateKey, publicKey } = pair ?? {};
  if (!(privateKey instanceof CryptoKey) || !(publicKey instanceof CryptoKey)) throw "pair";
  const raw = await step("export", (s) => s.exportKey("raw", publicKey));
  return { privateKey, publicKey: bytes(raw) };
}

/** The ECDSA P-256 / SHA-256 signature of `payload` by `key`, as bytes. (Byte arguments
 * are views into the wasm memory, valid only until it next runs: they are copied first.) */
export async function sign(key, payload) {
  const data = payload.slice();
  return bytes(await step("sign", (s) => s.sign(ECDSA_SHA256, key, data)));
}

/** Whether `signature` (`r ‖ s`) over `payload` verifies with `publicKey` (raw point
 * bytes): true or false; rejects with "key" when `publicKey` is no P-256 point,
 * "unavailable" without WebCrypto, "verify" when the check fails to run, "timeout" when
 * WebCrypto did not answer. */
export async function verifySignature(publicKey, payload, signature) {
  const [raw, data, sig] = [publicKey.slice(), payload.slice(), signature.slice()];
  const key = await step("key", (s) => s.importKey("raw", raw, P256, true, ["verify"]));
  return await step("verify", (s) => s.verify(ECDSA_SHA256, key, sig, data));
}

/** Whether a signature by `privateKey` is shown not to verify with `publicKey` (raw
 * bytes), or `publicKey` is no P-256 point at all. False when the check itself cannot
 * run. */
export async function keysDiffer(privateKey, publicKey) {
  const raw = publicKey.slice();
  try {
    const payload = new TextEncoder().encode("pinauth/v1/device-key-check");
    const signature = bytes(await step("sign", (s) => s.sign(ECDSA_SHA256, privateKey, payload)));
    return !(await verifySignature(raw, payload, signature));
  } catch (failed) {
    return failed === "key";
  }
}

/** Whether `key` is what `generateKey` makes: a non-extractable private ECDSA P-256 key
 * usable for signing. */
export function isDeviceSigningKey(key) {
  try {
    return (
      key instanceof CryptoKey &&
      key.type === "private" &&
      !key.extractable &&
      key.algorithm.name === "ECDSA" &&
      key.algorithm.namedCurve === "P-256" &&
      key.usages.includes("sign")
    );
  } catch {
    return false;
  }
}
