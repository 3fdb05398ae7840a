// Shared set-up of the end-to-end tests: the PRODUCTION build (dist/) served by serve.mjs
// on 127.0.0.1 under the app's Content-Security-Policy, headless Debian Chromium through
// playwright-core, console capture, and — when a test fails — a screenshot and the console
// log of every open page in e2e/artifacts/ (git-ignored).
import { chromium } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { serve } from "../serve.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
export const DIST = join(here, "..", "dist");
export const ARTIFACTS = process.env.E2E_ARTIFACTS ?? join(here, "artifacts");
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

if (!existsSync(join(DIST, "index.html"))) {
  throw new Error(`no production build in ${DIST}: run \`npm run build\` (scripts/example-tests.sh does)`);
}

/** Every page opened through `openPage`, with its console log, for the failure artifacts. */
const pages = new Map();

/** Starts the server and the browser. */
export async function start() {
  const server = await serve({ port: 0, dir: DIST });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  return {
    origin: server.origin,
    browser,
    async stop() {
      await browser.close();
      await server.close();
    },
  };
}

/** A fresh browser context: empty localStorage and IndexedDB, a desktop viewport. */
export async function newContext(env, options = {}) {
  // Reduced motion: no toast animation half-way through an accessibility check.
  const context = await env.browser.newContext({
    viewport: { width: 1360, height: 900 },
    reducedMotion: "reduce",
    ...options,
  });
  context.setDefaultTimeout(10_000);
  return context;
}

/**
 * Opens `path` in `context`. The page gets `errors` (page errors, console errors, failed
 * requests, HTTP errors: each one fails `assertNoErrors`) and `log` (everything, in order).
 */
export async function openPage(env, context, path = "/", name = "page") {
  const page = await context.newPage();
  const log = [];
  const errors = [];
  const note = (line) => log.push(`${new Date().toISOString()} ${line}`);
  page.on("console", (msg) => {
    note(`console.${msg.type()}: ${msg.text()}`);
    if (msg.type() === "error") errors.push(`console.error: ${msg.text()}`);
  });
  page.on("pageerror", (error) => {
    note(`page error: ${error.stack ?? error}`);
    errors.push(`page error: ${error.message ?? error}`);
  });
  page.on("requestfailed", (req) => {
    const reason = req.failure()?.errorText ?? "";
    note(`request failed: ${req.url()} ${reason}`);
    // A reload cancels what the page was still loading (the favicon, say): not an error.
    if (reason !== "net::ERR_ABORTED") errors.push(`request failed: ${req.url()} ${reason}`);
  });
  page.on("response", (res) => {
    if (res.status() >= 400) {
      note(`HTTP ${res.status()}: ${res.url()}`);
      errors.push(`HTTP ${res.status()}: ${res.url()}`);
    }
  });
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) note(`navigated: ${frame.url()}`);
  });
  page.on("close", () => pages.delete(page));
  pages.set(page, { name, log });
  Object.assign(page, { log, errors });
  await page.goto(env.origin + path);
  await appReady(page);
  return page;
}

/** The app has started (the loading card is gone). */
export async function appReady(page) {
  await page.locator("#main:not([aria-busy])").waitFor();
}

export function assertNoErrors(page) {
  assert.deepEqual(page.errors, [], `errors in ${page.url()}`);
}

/**
 * `test(name, fn)` that saves a screenshot and the console log of every open page when
 * `fn` fails. Tests of one file share state: after a failure, the rest are skipped.
 */
export function scenario(file) {
  let failed = false;
  return (name, fn) =>
    test(name, async (t) => {
      if (failed) return t.skip("an earlier step of this file failed");
      try {
        await fn(t);
      } catch (error) {
        failed = true;
        await saveArtifacts(`${file}-${name}`);
        throw error;
      }
    });
}

async function saveArtifacts(label) {
  const slug = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, 80);
  await mkdir(ARTIFACTS, { recursive: true });
  let index = 0;
  for (const [page, { name, log }] of pages) {
    index += 1;
    const base = join(ARTIFACTS, `${slug}-${index}-${name}`);
    try {
      await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 5000 });
    } catch (error) {
      log.push(`(screenshot failed: ${error})`);
    }
    await writeFile(`${base}.log`, `${page.url()}\n${log.join("\n")}\n`);
    console.error(`# saved ${base}.png and .log`);
  }
}

// ---- the app, as a person uses it ----

/** The PIN prompt (an open shadow root under [data-pinauth-prompt]; locators pierce it). */
export const prompt = (page) => page.locator("[data-pinauth-prompt]");

/** Waits for the prompt with this title. */
export async function expectPrompt(page, title) {
  await prompt(page).locator("h2", { hasText: title }).waitFor();
}

/** Waits until no prompt is open. */
export async function promptClosed(page) {
  await prompt(page).waitFor({ state: "detached" });
}

/** Taps the digits on the prompt's on-screen keypad, then its ✓ key. */
export async function tapPin(page, digits) {
  for (const digit of digits) await prompt(page).locator(`[data-key="${digit}"]`).click();
  await prompt(page).locator('[data-key="submit"]').click();
}

/** Types the digits on the keyboard (focus is in the prompt), then Enter. */
export async function typePin(page, digits) {
  await prompt(page).locator("input").waitFor();
  await page.keyboard.type(digits, { delay: 15 });
  await page.keyboard.press("Enter");
}

/** The prompt's live-region message contains `text`. */
export async function promptSays(page, text) {
  await prompt(page).locator(".message", { hasText: text }).waitFor();
}

/** The side panel shows `state` as the live state. */
export async function expectState(page, state, timeout = 10_000) {
  await page.locator(`[data-testid="live-state"] [data-state="${state}"]`).waitFor({ timeout });
}

export async function deviceId(page) {
  return (await page.getByTestId("live-device-id").textContent()).trim();
}

export async function register(page, email, password) {
  await page.getByRole("tab", { name: "Create account" }).click();
  const panel = page.getByRole("tabpanel");
  await panel.getByLabel("Email").fill(email);
  await panel.getByLabel("Password").fill(password);
  await panel.getByRole("button", { name: "Create account" }).click();
  await page.getByText("Account created").waitFor();
  await page.getByRole("tab", { name: "Sign in", selected: true }).waitFor();
}

export async function signIn(page, email, password) {
  const panel = page.getByRole("tabpanel");
  await panel.getByLabel("Email").fill(email);
  await panel.getByLabel("Password").fill(password);
  await panel.getByRole("button", { name: "Sign in" }).click();
}

/** Creates the PIN in the setup prompt that a first password sign-in opens. */
export async function createPin(page, pin) {
  await expectPrompt(page, "Create a PIN");
  await tapPin(page, pin);
  await prompt(page).getByText("Enter the same PIN again.").waitFor();
  await typePin(page, pin);
  await promptClosed(page);
  await expectState(page, "signedIn");
}

/** Register, sign in, create the PIN: a signed-in user on a fresh device. */
export async function newUser(page, email, password, pin) {
  await register(page, email, password);
  await signIn(page, email, password);
  await createPin(page, pin);
}

/** No serious or critical accessibility violation (axe-core) on the page as it is. */
export async function assertAccessible(page, label) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21aa"]).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    [],
    `accessibility violations on ${label}`,
  );
}
