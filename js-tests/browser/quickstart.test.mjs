// The npm README's quickstart, verbatim, in headless Chromium against the installed
// package: it must run to the end without an error and print what its comments promise.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { start, open, pkgDir } from "./harness.mjs";
import { quickstartBlock, expectedLines } from "./readme.mjs";

const block = quickstartBlock(pkgDir);
const expected = expectedLines(block);
let env;

before(async () => {
  env = await start({ extra: { "/quickstart.js": { type: "text/javascript", body: block } } });
}, { timeout: 90_000 });
after(() => env?.stop());

test("the quickstart block promises console output", () => {
  assert.ok(block.includes('from "pinauth"'), "the quickstart imports the package by name");
  assert.ok(expected.length >= 3, `expected at least 3 promised lines, got ${JSON.stringify(expected)}`);
});

test("the README quickstart runs verbatim and logs what its comments say", async () => {
  const { page, context, logs, errors } = await open(env, "/pages/quickstart.html");
  try {
    const result = await page.evaluate(() => window.quickstart);
    const unhandled = await page.evaluate(() => window.unhandled);
    assert.deepEqual(result, { ok: true }, "the quickstart module finished without throwing");
    assert.deepEqual(unhandled, [], "no unhandled rejection");
    assert.deepEqual(errors, [], "no page error");
    assert.deepEqual(logs, expected, "console.log lines in order");
  } finally {
    await context.close();
  }
});
