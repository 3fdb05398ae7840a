// The browser half of scripts/bench.sh: serves the bench page (the `bench`-feature build
// in target/bench-pkg, hash-wasm from node_modules) on 127.0.0.1, runs it in headless
// Chromium and prints one JSON object of raw samples. `--quick` takes a few samples only.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const quick = process.argv.includes("--quick");
const runs = Number(process.env.BENCH_RUNS ?? (quick ? 3 : 25));
const creates = Number(process.env.BENCH_CREATES ?? (quick ? 3 : 21));
const here = fileURLToPath(new URL(".", import.meta.url));
const roots = {
  "/bench/": here,
  "/pkg/": join(here, "../target/bench-pkg/"),
  "/hash-wasm/": join(here, "node_modules/hash-wasm/dist/"),
};
const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };

const server = createServer(async (request, response) => {
  const path = new URL(request.url, "http://x").pathname;
  const prefix = Object.keys(roots).find((p) => path.startsWith(p));
  const file = prefix && normalize(join(roots[prefix], path.slice(prefix.length)));
  if (!file || !file.startsWith(roots[prefix])) return response.writeHead(404).end();
  try {
    const body = await readFile(file);
    response.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    response.end(body);
  } catch {
    response.writeHead(404).end();
  }
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${server.address().port}/bench/page.html`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  const context = await browser.newContext();
  const open = async () => {
    const page = await context.newPage();
    page.on("pageerror", (e) => { throw e; });
    await page.goto(url);
    await page.waitForFunction(() => window.benchReady === true, null, { timeout: 60_000 });
    return page;
  };
  // Instantiation and create are timed on fresh pages, alternately for a returning device
  // and a first visit; the first load of each is a warm-up (and enrols "returning").
  const createSamples = [];
  const firstVisitSamples = [];
  for (let i = 0; i <= 2 * creates + 1; i++) {
    const firstVisit = i % 2 === 1;
    const page = await open();
    const sample = await page.evaluate((first) => window.bench.create(first), firstVisit);
    if (i > 1) (firstVisit ? firstVisitSamples : createSamples).push(sample);
    await page.close();
  }
  // The PIN proofs on fresh pages (the spread of the ratio from page to page is reported
  // too): the page's first proof of each implementation as a visit makes it (after
  // `create` and a second of typing the PIN), then `runs` in all, interleaved. The
  // unlocks run in the last page.
  const proofPages = quick ? 1 : 5;
  const idleMs = quick ? 0 : 1000;
  const proofs = { pinauth: [], hashWasm: [], pages: [], first: [], idleMs };
  let page;
  for (let i = 0; i < proofPages; i++) {
    await page?.close();
    page = await open();
    proofs.first.push(await page.evaluate(([pinauthFirst, idle]) =>
      window.bench.firstProofs(pinauthFirst, idle), [i % 2 === 0, idleMs]));
    const pageRuns = await page.evaluate((n) => window.bench.proofs(n), Math.ceil(runs / proofPages));
    proofs.pinauth.push(...pageRuns.pinauth);
    proofs.hashWasm.push(...pageRuns.hashWasm);
    proofs.pages.push(pageRuns);
  }
  const unlocks = await page.evaluate((n) => window.bench.unlocks(n), runs);
  console.log(JSON.stringify({
    chromium: browser.version(),
    create: createSamples,
    firstVisit: firstVisitSamples,
    proofs,
    unlocks,
  }));
} finally {
  await browser.close();
  server.close();
}
