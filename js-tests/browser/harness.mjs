// Shared set-up of the browser tests: headless Debian Chromium through playwright-core,
// the static server of serve.mjs in front of the INSTALLED package, and one fresh browser
// context (empty localStorage and IndexedDB) per page.
//
// PINAUTH_PKG_DIR must name the installed package (a fresh folder's node_modules/pinauth);
// scripts/js-tests.sh sets it.
import { chromium } from "playwright-core";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { serve } from "../serve.mjs";

export const pkgDir = process.env.PINAUTH_PKG_DIR;
if (!pkgDir || !existsSync(join(pkgDir, "pinauth.js"))) {
  throw new Error("PINAUTH_PKG_DIR must name an installed pinauth package (run scripts/js-tests.sh)");
}

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Starts the server (with `extra` in-memory files) and the browser. */
export async function start({ extra } = {}) {
  const server = await serve({ pkgDir, extra });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  return {
    server,
    browser,
    async stop() {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * Opens `path` in a fresh context. Returns the page with `logs` (console.log lines, in
 * order) and `errors` (page errors and unhandled rejections), both filled as they come.
 */
export async function open({ server, browser }, path = "/pages/harness.html") {
  const context = await browser.newContext();
  const page = await context.newPage();
  const logs = [];
  const errors = [];
  page.on("console", (msg) => {
    if (msg.type() === "log") logs.push(msg.text());
    if (msg.type() === "error") errors.push(`console.error: ${msg.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`page error: ${error.stack ?? error}`));
  page.on("requestfailed", (req) => errors.push(`request failed: ${req.url()}`));
  page.on("response", (res) => {
    if (res.status() >= 400) errors.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  await page.goto(server.origin + path);
  return { page, context, logs, errors };
}

/**
 * Calls the exported async function `name` of the page-side module `/pages/<module>`
 * with JSON arguments; returns its (JSON) result.
 */
export function call(page, module, name, ...args) {
  return page.evaluate(
    async ([module, name, args]) => {
      const scenarios = await import(`/pages/${module}`);
      return scenarios[name](...args);
    },
    [module, name, args],
  );
}
