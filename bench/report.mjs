// Combines the size, native and browser figures of scripts/bench.sh into one table with
// a pass/miss column per budget. Prints it; with --write, also writes BENCHMARKS.md.
// Usage: node bench/report.mjs SIZE.json NATIVE.json BROWSER.json [--write]
import { readFileSync, writeFileSync } from "node:fs";
import { execSync } from "node:child_process";
import os from "node:os";

const [sizeFile, nativeFile, browserFile] = process.argv.slice(2);
const write = process.argv.includes("--write");
const size = JSON.parse(readFileSync(sizeFile, "utf8"));
const native = JSON.parse(readFileSync(nativeFile, "utf8"));
const browser = JSON.parse(readFileSync(browserFile, "utf8"));

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const kb = (bytes) => bytes / 1024;
const ms = (x) => `${x.toFixed(1)} ms`;
// The glue counts minified, as a bundler ships it and as the other SDKs' sizes are given.
const total = (v) => v.wasmGz + v.jsMinGz;

const proof = median(browser.proofs.pinauth);
const hashWasm = median(browser.proofs.hashWasm);
const create = median(browser.create.map((c) => c.instantiate + c.create));
const firstVisit = median(browser.firstVisit.map((c) => c.instantiate + c.create));
const instantiate = median(browser.create.map((c) => c.instantiate));
const load = median(browser.create.map((c) => c.load));
const createOnly = median(browser.create.map((c) => c.create));
const unlock = median(browser.unlocks);
const ratios = browser.proofs.pages.map((p) => median(p.pinauth) / median(p.hashWasm));
const firstProof = median(browser.proofs.first.map((f) => f.pinauth));
const firstHashWasm = median(browser.proofs.first.map((f) => f.hashWasm));

const rows = [
  ["gzip size, client-only build, the package's `pinauth/client` (wasm + minified JavaScript)",
    `${kb(total(size.client)).toFixed(1)} KB`,
    "oidc-client-ts ≈18 KB, firebase/auth ≈31 KB, okta-auth-js ≈51 KB, auth0-spa-js ≈65 KB",
    "≤ 40 KB", kb(total(size.client)) <= 40],
  ["gzip size, full build with the mock backend, the package's `pinauth`",
    `${kb(total(size.full)).toFixed(1)} KB`, "—", "≤ 100 KB", kb(total(size.full)) <= 100],
  ["PIN proof (Argon2id m=19456 t=2 p=1) in Chromium",
    `${ms(proof)} (hash-wasm ${ms(hashWasm)})`,
    `${(proof / hashWasm).toFixed(2)}× hash-wasm (page by page: ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×)`,
    "≤ 0.6×", proof / hashWasm <= 0.6],
  ["the same, against native Rust (release)",
    `${ms(proof)} (native ${ms(native.pinProofMs)})`, `${(proof / native.pinProofMs).toFixed(2)}× native`,
    "≤ 1.8×", proof / native.pinProofMs <= 1.8],
  [`a page's first PIN proof, ${browser.proofs.idleMs / 1000} s after \`PinAuth.create\` (what the unlock of a visit waits for)`,
    ms(firstProof), `hash-wasm's first ${ms(firstHashWasm)} (with compiling its module)`, "report", null],
  ["wasm instantiate + PinAuth.create (returning device: identity in IndexedDB)", ms(create),
    `instantiate ${ms(instantiate)} (compiling the fetched bytes), create ${ms(createOnly)}`, "≤ 15 ms", create <= 15],
  ["before that: importing the JS glue and fetching the wasm (local server)", ms(load), "—", "report", null],
  ["the same on a first visit (a new non-extractable key, written to IndexedDB)", ms(firstVisit), "—", "report", null],
  ["unlock: loginWithPin → signedIn, in-page mock backend",
    ms(unlock), `${(unlock / proof).toFixed(2)}× one proof`, "≤ 2.5×", unlock / proof <= 2.5],
  [`mock backend natively: PIN logins/s on one core (${native.accounts} accounts)`,
    `${native.pinLoginsPerSecond}/s`, `snapshot ${(native.snapshotBytes / 1e6).toFixed(1)} MB, restored in ${native.restoreMs} ms`,
    "report", null],
];

const table = [
  "| figure | measured | compared with | budget | |",
  "|---|---|---|---|---|",
  ...rows.map(([f, m, c, b, ok]) => `| ${f} | ${m} | ${c} | ${b} | ${ok === null ? "" : ok ? "pass" : "**miss**"} |`),
].join("\n");
console.log(table);

if (write) {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const rustc = execSync("rustc --version").toString().trim();
  const doc = `# Benchmarks

Measured by \`make bench\` (scripts/bench.sh) on ${new Date().toISOString().slice(0, 10)}:
${os.cpus().length} × ${cpu}, ${os.platform()} ${os.release()}, ${rustc},
Chromium ${browser.chromium} (headless, one run). Browser figures are medians of at least
${Math.min(browser.create.length, browser.unlocks.length, browser.proofs.pinauth.length)} runs after a warm-up; every ratio is measured in the same run. The PIN proofs
come from ${browser.proofs.pages.length} fresh pages, ${browser.proofs.pages[0].pinauth.length} of each implementation in each, interleaved.
Sizes are gzip -9 of the shipped wasm (after \`wasm-opt -Oz\` and short import and
export names, scripts/short-names.mjs) plus its JavaScript: the glue and the snippets it
imports (src/web/*.js), bundled and minified (esbuild --bundle --minify, as a bundler
ships them); KB = 1024 bytes.

${table}

The comparison sizes of other SDKs are their published minified + gzip bundle sizes, as
given in the issue; they were not measured here.

## Where the create time goes

${readFileSync(new URL("./create-time.md", import.meta.url), "utf8").trim()}

## The PIN proof

${readFileSync(new URL("./pin-proof.md", import.meta.url), "utf8").trim()}

## Size steps

${readFileSync(new URL("./size-steps.md", import.meta.url), "utf8").trim()}
`;
  writeFileSync(new URL("../BENCHMARKS.md", import.meta.url), doc);
}
