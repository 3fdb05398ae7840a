// End to end: the PIN prompt (`auth.promptPin`) of the installed package on a page served
// with the strict Content-Security-Policy of serve.mjs (STRICT_CSP), driven with the
// keyboard alone (no mouse, no element.click()), checked with axe-core inside its open
// shadow root, and photographed in light and dark for the README (docs/screenshots/).
//
// The page is pages/prompt.html?csp with pages/prompt-app.js: an app with three buttons
// that open the prompt. The test only sets the client's state up through the API
// (`app.prepare`), reads outcomes, and inspects the DOM; every interaction with the
// dialog is a key press.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import AxeBuilder from "@axe-core/playwright";
import { start, pkgDir } from "./harness.mjs";
import { writeIfChanged } from "./png.mjs";
import { STRICT_CSP } from "../serve.mjs";

const PIN = "730519";
const OTHER_PIN = "264801";
const NEW_PIN = "482916";
const HOST = "[data-pinauth-prompt]";
const VIEWPORT = { width: 480, height: 720 };
const SCREENSHOTS =
  process.env.PINAUTH_SCREENSHOTS_DIR ?? fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));

let env;

before(async () => {
  env = await start();
  await mkdir(SCREENSHOTS, { recursive: true });
});
after(() => env?.stop());

// ---------------------------------------------------------------- page set-up

/**
 * Opens the app page under the strict CSP in a fresh context. Every CSP violation
 * (`securitypolicyviolation`, listened for from before the first script runs), console
 * message and page error is recorded; `finish` asserts there were none and closes it.
 */
async function appPage({ colorScheme = "light", permissions = [], device = {} } = {}) {
  const context = await env.browser.newContext({
    viewport: VIEWPORT,
    deviceScaleFactor: 1,
    colorScheme,
    reducedMotion: "reduce",
    ...device,
  });
  if (permissions.length) await context.grantPermissions(permissions, { origin: env.server.origin });
  await context.addInitScript(() => {
    window.__cspViolations = [];
    window.addEventListener(
      "securitypolicyviolation",
      (event) =>
        window.__cspViolations.push({
          directive: event.violatedDirective,
          blockedURI: event.blockedURI,
          sample: event.sample,
          source: `${event.sourceFile}:${event.lineNumber}`,
        }),
      true,
    );
  });
  const page = await context.newPage();
  const consoleMessages = [];
  const errors = [];
  page.on("console", (msg) => consoleMessages.push(`${msg.type()}: ${msg.text()}`));
  page.on("pageerror", (error) => errors.push(`page error: ${error.stack ?? error}`));
  page.on("requestfailed", (req) => errors.push(`request failed: ${req.url()}`));
  page.on("response", (res) => {
    if (res.status() >= 400) errors.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  const response = await page.goto(`${env.server.origin}/pages/prompt.html?csp`);
  assert.equal(await response.headerValue("content-security-policy"), STRICT_CSP);
  await page.locator("html[data-ready]").waitFor({ state: "attached", timeout: 20_000 });
  return {
    page,
    context,
    consoleMessages,
    errors,
    cspViolations: () => page.evaluate(() => window.__cspViolations),
    /** Asserts a clean run (no CSP violation, no console output, no error), then closes. */
    async finish() {
      assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], "CSP violations");
      assert.deepEqual(consoleMessages, [], "console messages");
      assert.deepEqual(errors, [], "page errors");
      await context.close();
    },
  };
}

/** Puts a fresh client into `state` (pinSetupRequired, pinRequired, signedIn). */
async function prepare(page, state, options = {}) {
  assert.equal(await page.evaluate(([s, o]) => window.app.prepare(s, o), [state, options]), state);
}

// ---------------------------------------------------------------- keyboard helpers

/** What has focus: "#id" on the page, or "prompt:<what>" inside the dialog. */
function focused(page) {
  return page.evaluate((hostSelector) => {
    const active = document.activeElement;
    const host = document.querySelector(hostSelector);
    if (host && active === host) {
      const inner = host.shadowRoot.activeElement;
      if (!inner) return "prompt:none";
      if (inner.dataset.key) return `prompt:key-${inner.dataset.key}`;
      if (inner.dataset.action) return `prompt:${inner.dataset.action}`;
      return `prompt:${inner.className || inner.tagName.toLowerCase()}`;
    }
    return active?.id ? `#${active.id}` : (active?.tagName.toLowerCase() ?? "none");
  }, HOST);
}

/** Presses `key` (e.g. "Tab", "Shift+Tab") until `target` has focus. */
async function pressUntil(page, key, target, max = 20) {
  const seen = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    const now = await focused(page);
    if (now === target) return i + 1;
    seen.push(now);
  }
  assert.fail(`${key} never reached ${target}; focus went ${seen.join(" → ")}`);
}

/** Adds a <section id=`id`> to the page's main part and has the next prompts mount there
 * (with the other prompt options `extra`). */
function mountIn(page, id, extra = {}) {
  return page.evaluate(
    ([id, extra]) => {
      const slot = document.createElement("section");
      slot.id = id;
      document.querySelector("main").append(slot);
      window.app.extraOptions = { ...extra, container: slot };
    },
    [id, extra],
  );
}

/** Opens the prompt from the page's button `opener` with Tab (or `key`) and Enter. */
async function openWithKeyboard(page, opener, key = "Tab") {
  await pressUntil(page, key, opener);
  await page.keyboard.press("Enter");
  await page.locator(`${HOST} input`).waitFor({ state: "attached" });
  assert.equal(await focused(page), "prompt:entry", "focus moves into the dialog, on the PIN field");
  // A handle on the PIN field, to check after closing that it is gone and empty.
  return page.locator(`${HOST} input`).elementHandle();
}

/** What the dialog shows now (null when closed). */
function view(page) {
  return page.evaluate((hostSelector) => {
    const host = document.querySelector(hostSelector);
    if (!host) return null;
    const root = host.shadowRoot;
    const text = (selector) => root.querySelector(selector)?.textContent ?? null;
    return {
      title: text("#pinauth-title"),
      step: text("#pinauth-step"),
      message: text("#pinauth-message"),
      filled: root.querySelectorAll(".cell.filled").length,
      cells: [...root.querySelectorAll(".cell")].map((c) => c.textContent).join(""),
      busy: !root.querySelector(".progress").hidden,
    };
  }, HOST);
}

/** Waits until the dialog's live message matches `pattern`. */
async function message(page, pattern) {
  await page.locator(`${HOST} #pinauth-message`).filter({ hasText: pattern }).waitFor();
  return (await view(page)).message;
}

/** The outcome of the last prompt, once it settled. */
function outcome(page) {
  return page.evaluate(() => window.app.settled);
}

/**
 * After the dialog closed: nothing of it is left in the DOM, focus is back on `opener`,
 * the PIN field that was used is detached and empty, and no PIN is anywhere in the page
 * (inputs, text, attributes, open shadow roots included).
 */
async function assertClosed(page, opener, input, pins) {
  assert.equal(await page.locator(HOST).count(), 0, "the dialog host is removed");
  assert.equal(await focused(page), opener, "focus returns to the element that opened the dialog");
  assert.deepEqual(
    await input.evaluate((i) => ({ connected: i.isConnected, value: i.value })),
    { connected: false, value: "" },
    "the PIN field is detached and emptied",
  );
  const leftovers = await page.evaluate((pins) => {
    const found = [];
    const walk = (root) => {
      for (const el of root.querySelectorAll("*")) {
        if (el.matches("input, textarea") && el.value) found.push(`${el.tagName} holds "${el.value}"`);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    const html = document.documentElement.outerHTML + document.body.innerText;
    for (const pin of pins) if (html.includes(pin)) found.push(`the page contains ${pin}`);
    return found;
  }, pins);
  assert.deepEqual(leftovers, [], "no PIN left in the DOM");
}

/** Runs axe on the whole page (the dialog included) and asserts zero violations. */
async function axe(page, what) {
  const results = await new AxeBuilder({ page }).analyze();
  assert.deepEqual(
    results.violations.map((v) => ({ rule: v.id, nodes: v.nodes.map((n) => n.target) })),
    [],
    `axe violations (${what})`,
  );
  // axe saw inside the open shadow root: the dialog's own nodes were checked.
  const inPrompt = (node) => Array.isArray(node.target[0]) && node.target[0][0] === "pinauth-prompt";
  const checked = new Set(
    [...results.passes, ...results.incomplete].filter((r) => r.nodes.some(inPrompt)).map((r) => r.id),
  );
  for (const rule of ["aria-dialog-name", "button-name", "label", "aria-valid-attr-value"]) {
    assert.ok(checked.has(rule), `axe checked the dialog's nodes for ${rule} (${what})`);
  }
  return results;
}

/** Saves docs/screenshots/prompt-<name>.png (unless only a few pixels of it changed). */
async function screenshot(page, name) {
  const png = await page.screenshot({ animations: "disabled", caret: "hide" });
  await writeIfChanged(join(SCREENSHOTS, `prompt-${name}.png`), png);
}

// ---------------------------------------------------------------- the four modes

/**
 * Each mode, opened with the keyboard from the app's button, checked with axe at each
 * step, photographed, and completed with the keyboard alone.
 */
const MODES = {
  async setup(p, scheme) {
    const { page } = p;
    await prepare(page, "pinSetupRequired");
    const input = await openWithKeyboard(page, "#open-auto");
    assert.deepEqual(await view(page), {
      title: "Create a PIN",
      step: "Choose a PIN of 6 digits for this device.",
      message: "",
      filled: 0,
      cells: "",
      busy: false,
    });
    await axe(page, `setup, new PIN, ${scheme}`);
    // A weak PIN is refused as it is typed, in words; Backspace clears it digit by digit.
    await page.keyboard.type("123456");
    assert.equal(await message(page, /Too easy/), "Too easy to guess: a sequence.");
    await axe(page, `setup, weak PIN message, ${scheme}`);
    for (let i = 0; i < 6; i++) await page.keyboard.press("Backspace");
    assert.equal((await view(page)).filled, 0);
    assert.equal((await view(page)).message, "", "the reason goes once the PIN is edited");
    await page.keyboard.type(PIN.slice(0, 3));
    assert.equal((await view(page)).cells, "•••", "digits are masked");
    await screenshot(page, `setup-${scheme}`);
    await page.keyboard.type(PIN.slice(3));
    await page.keyboard.press("Enter");
    assert.equal((await view(page)).step, "Enter the same PIN again.");
    assert.equal(await focused(page), "prompt:entry");
    await axe(page, `setup, confirmation, ${scheme}`);
    await page.keyboard.type(PIN);
    await page.keyboard.press("Enter");
    assert.deepEqual(await outcome(page), { kind: "resolved", value: null });
    assert.equal(await page.evaluate(() => window.app.state), "signedIn");
    await assertClosed(page, "#open-auto", input, [PIN]);
  },

  async unlock(p, scheme) {
    const { page } = p;
    await prepare(page, "pinRequired");
    const input = await openWithKeyboard(page, "#open-auto");
    assert.equal((await view(page)).title, "Enter your PIN");
    assert.equal((await view(page)).step, "Enter the PIN for this device.");
    await axe(page, `unlock, ${scheme}`);
    // A wrong PIN: the dialog stays, the digits clear, the attempts left are announced.
    await page.keyboard.type(OTHER_PIN);
    await page.keyboard.press("Enter");
    assert.equal(await message(page, /attempts left/), "Wrong PIN. 4 attempts left.");
    assert.equal((await view(page)).filled, 0, "the digits are cleared");
    assert.equal(await page.locator(`${HOST} [role=alert][aria-live=assertive]`).count(), 1);
    assert.equal(await page.evaluate(() => window.app.outcome), null, "the prompt is still open");
    assert.equal(await focused(page), "prompt:entry", "focus stays on the PIN field");
    await axe(page, `unlock, wrong PIN, ${scheme}`);
    await screenshot(page, `unlock-${scheme}`);
    await page.keyboard.type(PIN);
    await page.keyboard.press("Enter");
    assert.deepEqual(await outcome(page), { kind: "resolved", value: null });
    assert.equal(await page.evaluate(() => window.app.state), "signedIn");
    await assertClosed(page, "#open-auto", input, [PIN, OTHER_PIN]);
  },

  async reauth(p, scheme) {
    const { page } = p;
    await prepare(page, "signedIn");
    const input = await openWithKeyboard(page, "#open-reauth");
    assert.equal((await view(page)).title, "Confirm it's you");
    assert.equal((await view(page)).step, "Enter your PIN to continue.");
    await axe(page, `reauth, ${scheme}`);
    await page.keyboard.type(PIN);
    assert.equal((await view(page)).cells, "••••••");
    await screenshot(page, `reauth-${scheme}`);
    // Focus is trapped: Shift+Tab from the PIN field wraps to the last control (Continue),
    // Tab from there wraps back; Enter on the focused Continue button submits.
    await page.keyboard.press("Shift+Tab");
    assert.equal(await focused(page), "prompt:submit");
    await page.keyboard.press("Tab");
    assert.equal(await focused(page), "prompt:entry");
    await page.keyboard.press("Shift+Tab");
    assert.equal(await focused(page), "prompt:submit");
    await page.keyboard.press("Enter");
    const result = await outcome(page);
    assert.equal(result.kind, "resolved", JSON.stringify(result));
    assert.deepEqual(Object.keys(result.value).sort(), ["expiresAt", "expiresIn", "token"]);
    assert.equal(typeof result.value.token, "string");
    assert.ok(result.value.expiresAt > Date.now());
    assert.equal(result.value.expiresIn, 5 * 60_000, "the backend's default lifetime, 5 minutes");
    const validate = () => page.evaluate((t) => window.app.validateReauthToken(t), result.value.token);
    const first = await validate();
    assert.equal(first.valid, true, "the backend accepts the token");
    assert.equal(first.expiresAt, result.value.expiresAt);
    assert.deepEqual(await validate(), { valid: false }, "once");
    await assertClosed(page, "#open-reauth", input, [PIN]);
  },

  async change(p, scheme) {
    const { page } = p;
    await prepare(page, "signedIn");
    const input = await openWithKeyboard(page, "#open-change");
    assert.equal((await view(page)).title, "Change your PIN");
    assert.equal((await view(page)).step, "Enter your current PIN.");
    await axe(page, `change, current PIN, ${scheme}`);
    await page.keyboard.type(PIN);
    await page.keyboard.press("Enter");
    assert.equal((await view(page)).step, "Choose a PIN of 6 digits for this device.");
    await axe(page, `change, new PIN, ${scheme}`);
    await page.keyboard.type(NEW_PIN.slice(0, 2));
    await screenshot(page, `change-${scheme}`);
    await page.keyboard.type(NEW_PIN.slice(2));
    await page.keyboard.press("Enter");
    assert.equal((await view(page)).step, "Enter the same PIN again.");
    await page.keyboard.type(NEW_PIN);
    await page.keyboard.press("Enter");
    assert.deepEqual(await outcome(page), { kind: "resolved", value: null });
    await assertClosed(page, "#open-change", input, [PIN, NEW_PIN]);
    assert.deepEqual(await page.evaluate((pin) => window.app.reauthenticate(pin), NEW_PIN), { kind: "resolved" });
    const old = await page.evaluate((pin) => window.app.reauthenticate(pin), PIN);
    assert.equal(old.error?.code, "INVALID_PIN", "the old PIN no longer works");
  },
};

for (const scheme of ["light", "dark"]) {
  for (const [mode, run] of Object.entries(MODES)) {
    test(`${mode} (${scheme}): axe-clean under the strict CSP, completed by keyboard alone, photographed`, async () => {
      const p = await appPage({ colorScheme: scheme });
      await run(p, scheme);
      await p.finish();
    });
  }
}

// ---------------------------------------------------------------- more keyboard behaviour

test("Escape, or Enter on Cancel, rejects with CANCELLED and gives focus back", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "pinRequired");

  let input = await openWithKeyboard(page, "#open-auto");
  await page.keyboard.type("73");
  await page.keyboard.press("Escape");
  let result = await outcome(page);
  assert.equal(result.kind, "rejected");
  assert.equal(result.error.code, "CANCELLED");
  assert.equal(result.error.isPinAuthError, true);
  await assertClosed(page, "#open-auto", input, []);

  // Escape works wherever focus is in the dialog (here on a keypad key).
  await page.keyboard.press("Enter"); // the opener still has focus
  await page.locator(`${HOST} input`).waitFor({ state: "attached" });
  input = await page.locator(`${HOST} input`).elementHandle();
  await pressUntil(page, "Tab", "prompt:key-5");
  await page.keyboard.press("Escape");
  assert.equal((await outcome(page)).error?.code, "CANCELLED");
  await assertClosed(page, "#open-auto", input, []);

  // The Cancel button, reached with Shift+Tab and pressed with Enter.
  input = await openWithKeyboard(page, "#open-auto");
  await pressUntil(page, "Shift+Tab", "prompt:cancel");
  await page.keyboard.press("Enter");
  assert.equal((await outcome(page)).error?.code, "CANCELLED");
  await assertClosed(page, "#open-auto", input, []);
  assert.equal(await page.evaluate(() => window.app.state), "pinRequired", "cancelling changes nothing");
  await p.finish();
});

test("a pasted PIN fills the cells (a paste event with data, and a real Ctrl+V)", async () => {
  const p = await appPage({ permissions: ["clipboard-read", "clipboard-write"] });
  const { page } = p;
  await prepare(page, "pinRequired");
  const input = await openWithKeyboard(page, "#open-auto");

  // A paste event carrying text: the prompt keeps the digits, up to the PIN length.
  await page.locator(`${HOST} input`).evaluate((field) => {
    const data = new DataTransfer();
    data.setData("text/plain", " 12-34 ");
    field.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  });
  assert.equal((await view(page)).filled, 4);
  for (let i = 0; i < 4; i++) await page.keyboard.press("Backspace");
  assert.equal((await view(page)).filled, 0);

  // A real paste from the clipboard with the keyboard shortcut.
  await page.evaluate((pin) => navigator.clipboard.writeText(`${pin}\n`), PIN);
  await page.keyboard.press("ControlOrMeta+V");
  assert.equal((await view(page)).filled, 6, "the whole PIN is pasted");
  await page.keyboard.press("Enter");
  assert.deepEqual(await outcome(page), { kind: "resolved", value: null });
  await assertClosed(page, "#open-auto", input, [PIN]);
  await page.evaluate(() => navigator.clipboard.writeText(""));
  await p.finish();
});

test("the keypad and the show toggle are operable with Tab, Enter and Space", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "pinRequired");
  const input = await openWithKeyboard(page, "#open-auto");

  // The show/hide toggle, with Space.
  await page.keyboard.press("Tab");
  assert.equal(await focused(page), "prompt:toggle");
  await page.keyboard.press("Space");
  const toggle = page.locator(`${HOST} button.toggle`);
  // Its text says what it does; no pressed state besides, which would read "Hide PIN, pressed".
  assert.equal(await toggle.textContent(), "Hide PIN");
  assert.equal(await toggle.getAttribute("aria-pressed"), null);

  // Each digit from the keypad: Tab to its key, then Enter or Space (alternately). Focus
  // stays on the key pressed.
  let n = 0;
  for (const digit of PIN) {
    await pressUntil(page, "Tab", `prompt:key-${digit}`);
    await page.keyboard.press(n % 2 ? "Space" : "Enter");
    n += 1;
    assert.equal((await view(page)).filled, n);
    assert.equal(await focused(page), `prompt:key-${digit}`);
  }
  assert.equal((await view(page)).cells, PIN, "shown, not masked");
  // The keypad's delete key, then the last digit again, then its submit key.
  await pressUntil(page, "Tab", "prompt:key-delete");
  await page.keyboard.press("Enter");
  assert.equal((await view(page)).cells, PIN.slice(0, 5));
  await pressUntil(page, "Tab", `prompt:key-${PIN.at(-1)}`);
  await page.keyboard.press("Space");
  await pressUntil(page, "Tab", "prompt:key-submit");
  await page.keyboard.press("Enter");
  assert.deepEqual(await outcome(page), { kind: "resolved", value: null });
  await assertClosed(page, "#open-auto", input, [PIN]);
  await p.finish();
});

test("a PIN begun on the keypad and finished on the keyboard is sent with Enter", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "pinRequired");
  const input = await openWithKeyboard(page, "#open-auto");
  await page.locator(`${HOST} [data-key="${PIN[0]}"]`).click();
  assert.equal(await focused(page), `prompt:key-${PIN[0]}`, "a click leaves focus on the key");
  await page.keyboard.type(PIN.slice(1));
  assert.equal(await focused(page), "prompt:entry", "typing moves it to the field");
  await page.keyboard.press("Enter");
  assert.deepEqual(await outcome(page), { kind: "resolved", value: null });
  await assertClosed(page, "#open-auto", input, [PIN]);
  await p.finish();
});

test("opened from the app's own modal <dialog>, the prompt is on top and works; the page's key handlers get none of its keys", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  await page.evaluate(() => {
    window.__pageKeys = [];
    for (const type of ["keydown", "keyup"]) document.addEventListener(type, (e) => window.__pageKeys.push(`${type} ${e.key}`));
    window.app.openOwnModal();
  });
  assert.equal(await focused(page), "#confirm-in-modal");
  await page.keyboard.press("Enter");
  await page.locator(`${HOST} input`).waitFor({ state: "attached" });
  assert.equal(await focused(page), "prompt:entry", "focus moves into the prompt");
  await page.evaluate(() => (window.__pageKeys = []));
  const onTop = await page.evaluate((hostSelector) => {
    const host = document.querySelector(hostSelector);
    const box = host.shadowRoot.querySelector(".entry-area").getBoundingClientRect();
    return document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2) === host;
  }, HOST);
  assert.ok(onTop, "what is under the PIN field is the prompt, not the app's dialog");
  assert.equal(await page.locator("#own-modal").evaluate((d) => d.matches(":modal")), true);
  await page.keyboard.type(PIN);
  await page.keyboard.press("Enter");
  assert.equal((await outcome(page)).kind, "resolved");
  // At most the release of the Enter that sent it, if the answer closed the prompt first.
  assert.deepEqual(
    (await page.evaluate(() => window.__pageKeys)).filter((key) => key !== "keyup Enter"),
    [],
    "no key of the PIN reached the page",
  );
  assert.equal(await focused(page), "#confirm-in-modal", "focus is back in the app's dialog");

  // Escape cancels the prompt and leaves the app's dialog open.
  await page.keyboard.press("Enter");
  await page.locator(`${HOST} input`).waitFor({ state: "attached" });
  await page.evaluate(() => (window.__pageKeys = []));
  await page.keyboard.press("Escape");
  assert.equal((await outcome(page)).error?.code, "CANCELLED");
  assert.equal(await page.locator("#own-modal").evaluate((d) => d.open), true, "the app's dialog stays open");
  assert.deepEqual(await page.evaluate(() => window.__pageKeys), ["keyup Escape"], "only the release, after the prompt closed");
  await p.finish();
});

test("a prompt taken out of the page (its container emptied by a re-render) rejects with CANCELLED; a container not in the document is refused", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  await mountIn(page, "prompt-slot");
  await openWithKeyboard(page, "#open-reauth");
  await page.keyboard.type(PIN.slice(0, 3));
  await page.evaluate(() => document.getElementById("prompt-slot").replaceChildren());
  assert.equal((await outcome(page)).error?.code, "CANCELLED");
  assert.equal(await focused(page), "#open-reauth", "focus is back on the opener");

  // The next prompt opens (the first one no longer holds the client's one prompt).
  await page.evaluate(() => (window.app.extraOptions = {}));
  await page.keyboard.press("Enter");
  await page.locator(`${HOST} input`).waitFor({ state: "attached" });
  await page.keyboard.type(PIN);
  await page.keyboard.press("Enter");
  assert.equal((await outcome(page)).kind, "resolved");

  await page.evaluate(() => {
    window.app.extraOptions = { container: document.createElement("section") };
    window.app.open("reauth");
  });
  const refused = (await outcome(page)).error;
  assert.equal(refused?.code, "INVALID_INPUT");
  assert.match(refused.message, /options\.container must be an element in the document/);
  assert.equal(await page.locator(HOST).count(), 0);

  // In a component's shadow root, re-rendered: cancelled too.
  await page.evaluate(() => {
    const component = document.createElement("section");
    component.id = "component";
    document.querySelector("main").append(component);
    const shadow = component.attachShadow({ mode: "open" });
    const slot = document.createElement("div");
    shadow.append(slot);
    window.app.extraOptions = { container: slot };
  });
  await page.evaluate(() => window.app.open("reauth"));
  await page.locator(`#component ${HOST} input`).waitFor({ state: "attached" });
  await page.evaluate(() => document.getElementById("component").shadowRoot.replaceChildren());
  assert.equal((await outcome(page)).error?.code, "CANCELLED");

  // Moved to another place in the page: still modal, and still answers.
  await page.evaluate(() => (window.app.extraOptions = {}));
  await openWithKeyboard(page, "#open-reauth", "Shift+Tab");
  const modal = await page.evaluate((hostSelector) => {
    const host = document.querySelector(hostSelector);
    document.querySelector("main").append(host);
    return new Promise((resolve) =>
      setTimeout(() => resolve(host.shadowRoot.querySelector("dialog").matches(":modal")), 0),
    );
  }, HOST);
  assert.equal(modal, true, "modal again after the move");
  await page.locator(`${HOST} input`).focus();
  await page.keyboard.type(PIN);
  await page.keyboard.press("Enter");
  assert.equal((await outcome(page)).kind, "resolved");
  await p.finish();
});

test("free() of the PinAuth closes its open prompt with CANCELLED", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  const input = await openWithKeyboard(page, "#open-reauth");
  await page.keyboard.type(PIN.slice(0, 3));
  await page.evaluate(() => window.app.freeClient());
  assert.equal((await outcome(page)).error?.code, "CANCELLED");
  await assertClosed(page, "#open-reauth", input, [PIN.slice(0, 3)]);
  await p.finish();
});

test("free() whose closing prompt gives focus back to a handler that frees again: CANCELLED, no error", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  const result = await page.evaluate(() => window.app.freeTwiceThroughFocus());
  assert.equal(result.error?.code, "CANCELLED");
  assert.equal(await page.locator(HOST).count(), 0);
  await p.finish();
});

test("free() while a wrong PIN is checked closes the prompt with the answer (no retry)", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn", { backendDelayMs: 400 });
  const input = await openWithKeyboard(page, "#open-reauth");
  await page.keyboard.type(OTHER_PIN);
  await page.keyboard.press("Enter");
  assert.equal((await view(page)).busy, true, "the PIN is being checked");
  await page.evaluate(() => window.app.freeClient());
  await page.waitForFunction(() => window.app.outcome !== null, null, { timeout: 10_000 });
  assert.equal((await outcome(page)).error?.code, "CANCELLED");
  await assertClosed(page, "#open-reauth", input, [OTHER_PIN]);
  await p.finish();
});

test("signed in, promptPin() resolves at once; signed out, every mode rejects with NOT_SIGNED_IN; neither shows a dialog", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  assert.deepEqual(await page.evaluate(() => window.app.openAgain(undefined)), { kind: "resolved", value: null });
  assert.equal(await page.locator(HOST).count(), 0, "no dialog");
  assert.equal(await page.evaluate(() => window.app.logout()), "signedOut");
  for (const mode of ["reauth", "change", undefined]) {
    const result = await page.evaluate((m) => window.app.openAgain(m), mode);
    assert.equal(result.error?.code, "NOT_SIGNED_IN", `${mode}: ${JSON.stringify(result)}`);
    assert.equal(result.error.isPinAuthError, true);
    assert.equal(result.error.message, "Sign in first.");
    assert.equal(await page.locator(HOST).count(), 0, "no dialog");
  }
  await p.finish();
});

test("a logout while the unlock prompt waits for the PIN closes it with NOT_SIGNED_IN: in this page, or in another tab", async () => {
  const p = await appPage();
  const { page, context } = p;
  await prepare(page, "pinRequired");
  let input = await openWithKeyboard(page, "#open-auto");
  await page.keyboard.type(PIN.slice(0, 2));
  assert.equal(await page.evaluate(() => window.app.logout()), "signedOut");
  const result = await outcome(page);
  assert.equal(result.error?.code, "NOT_SIGNED_IN");
  assert.equal(result.error.message, "Sign in first.");
  await assertClosed(page, "#open-auto", input, [PIN.slice(0, 2)]);

  await prepare(page, "pinRequired");
  input = await openWithKeyboard(page, "#open-auto");
  await page.keyboard.type(PIN.slice(0, 2));
  // Another tab logs out: the shared PIN session leaves localStorage.
  const tab = await context.newPage();
  await tab.goto(`${env.server.origin}/pages/prompt.html`);
  await tab.evaluate(() => localStorage.removeItem(Object.keys(localStorage).find((k) => k.endsWith(":v1:pinSession"))));
  assert.equal((await outcome(page)).error?.code, "NOT_SIGNED_IN");
  assert.equal(await page.evaluate(() => window.app.state), "signedOut");
  await assertClosed(page, "#open-auto", input, [PIN.slice(0, 2)]);
  await tab.close();
  await p.finish();
});

test("another PinAuth's prompt is its own: it opens while this one's is open", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  await openWithKeyboard(page, "#open-reauth");
  await page.evaluate(() => window.app.openUnreferenced());
  await page.waitForFunction((host) => document.querySelectorAll(host).length === 2, HOST);
  await page.keyboard.press("Escape");
  const result = await outcome(page);
  assert.equal(result.error?.code, "CANCELLED");
  assert.equal(result.error.message, "The PIN prompt was cancelled.");
  assert.equal(await page.locator(HOST).count(), 1, "this one's is still open");
  await page.keyboard.press("Escape");
  await page.locator(HOST).waitFor({ state: "detached" });
  await p.finish();
});

test("page code that runs while promptPin opens: a second call from an option's getter, free() from a focus handler", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  const r = await page.evaluate(() => window.app.reentrantOpen());
  assert.equal(r.first.error?.code, "PROMPT_OPEN", "the outer call finds the prompt its getter opened");
  assert.equal(r.first.error.message, "A PIN prompt is already open.");
  assert.equal(r.dialogs, 1, "one dialog");
  assert.equal(r.inner.error?.code, "CANCELLED", "the inner one, taken out of the page");
  assert.equal(r.second.error?.code, "CANCELLED", "freed as it opened: closed, not left open on a freed client");
  assert.equal(r.left, 0);
  await p.finish();
});

test("while a PIN is checked it is out of the field and hidden, and Cancel, Escape and the backdrop wait for the answer", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn", { backendDelayMs: 600 });
  const input = await openWithKeyboard(page, "#open-reauth");
  // "Show PIN" on: the digits show while typed, but not once the PIN is sent.
  await page.locator(`${HOST} button.toggle`).click();
  await page.locator(`${HOST} input`).focus();
  await page.keyboard.type(PIN);
  assert.equal((await view(page)).cells, PIN);
  await page.keyboard.press("Enter");
  assert.equal((await view(page)).busy, true, "the PIN is being checked");
  assert.equal(await input.evaluate((i) => i.value), "", "the PIN left the field when it was sent");
  assert.equal((await view(page)).cells, "••••••");
  await page.locator(`${HOST} button.toggle`).click();
  assert.equal((await view(page)).cells, "••••••", "Show PIN shows nothing of a sent PIN");
  assert.equal(await page.locator(`${HOST} [data-action=cancel]`).isDisabled(), true);
  await page.keyboard.press("Escape");
  await page.mouse.click(5, 5);
  const result = await outcome(page);
  assert.equal(result.kind, "resolved", `the re-auth token was lost: ${JSON.stringify(result)}`);
  assert.ok(result.value.expiresAt > Date.now());
  await assertClosed(page, "#open-reauth", input, [PIN]);
  await p.finish();
});

test("when another tab signs the device in as someone else while a wrong PIN is checked, the prompt closes with NOT_SIGNED_IN (no retry)", async () => {
  const p = await appPage();
  const { page, context } = p;
  await prepare(page, "signedIn", { backendDelayMs: 600 });
  const input = await openWithKeyboard(page, "#open-reauth");
  await page.keyboard.type(OTHER_PIN);
  await page.keyboard.press("Enter");
  assert.equal((await view(page)).busy, true, "the PIN is being checked");
  // Another tab of the origin stores its PIN session for another account on this device.
  const tab = await context.newPage();
  await tab.goto(`${env.server.origin}/pages/prompt.html`);
  await tab.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => k.endsWith(":v1:pinSession"));
    const session = JSON.parse(localStorage.getItem(key));
    localStorage.setItem(key, JSON.stringify({ ...session, userId: "someone-else", email: "someone@example.com" }));
  });
  await page.waitForFunction(() => window.app.outcome !== null, null, { timeout: 10_000 });
  assert.equal((await outcome(page)).error?.code, "NOT_SIGNED_IN", "the answer was a wrong PIN, but for no one signed in now");
  assert.equal(await page.evaluate(() => window.app.state), "pinRequired");
  await assertClosed(page, "#open-reauth", input, [OTHER_PIN]);
  await tab.close();
  await p.finish();
});

test("a prompt whose PinAuth nothing else keeps stays open through garbage collection", async () => {
  const p = await appPage();
  const { page, context } = p;
  await prepare(page, "signedIn");
  await page.evaluate(() => window.app.openUnreferenced());
  await page.locator(`${HOST} input`).waitFor({ state: "attached" });
  const cdp = await context.newCDPSession(page);
  for (let i = 0; i < 3; i++) {
    await cdp.send("HeapProfiler.collectGarbage");
    await page.waitForTimeout(200);
  }
  assert.equal(await page.locator(HOST).count(), 1, "the dialog is still open");
  await page.keyboard.type(PIN);
  await page.keyboard.press("Enter");
  assert.deepEqual(await outcome(page), { kind: "resolved", value: null });
  await cdp.detach();
  await p.finish();
});

test("a PIN set under another pinLength unlocks through the prompt at its own length", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "pinRequired");
  assert.equal(await page.evaluate(() => window.app.revisit({ pinLength: 4 })), "pinRequired");
  const input = await openWithKeyboard(page, "#open-auto");
  const shownCells = () =>
    page.evaluate(
      (hostSelector) => [...document.querySelector(hostSelector).shadowRoot.querySelectorAll(".cell")].filter((c) => !c.hidden).length,
      HOST,
    );
  assert.equal(await shownCells(), 4, "the length of a new PIN");
  // Too short for any PIN: refused on the spot, no attempt spent.
  await page.keyboard.type("730");
  await page.keyboard.press("Enter");
  assert.equal(await message(page, /digits/), "A PIN has at least 4 digits.");
  await page.keyboard.type("519");
  assert.deepEqual([await shownCells(), (await view(page)).filled], [6, 6], "the cells grow with a longer PIN");
  await page.keyboard.type("123");
  assert.equal((await view(page)).filled, 8, "up to the longest PIN");
  await page.keyboard.press("Backspace");
  await page.keyboard.press("Backspace");
  await page.keyboard.press("Enter");
  assert.equal((await outcome(page)).kind, "resolved");
  assert.equal(await page.evaluate(() => window.app.state), "signedIn");
  await assertClosed(page, "#open-auto", input, [PIN]);
  await p.finish();
});

test("a reauth prompt whose access token expires while it waits closes with NOT_SIGNED_IN", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn", { accessTokenTtlSeconds: 3 });
  const input = await openWithKeyboard(page, "#open-reauth");
  assert.equal((await outcome(page)).error?.code, "NOT_SIGNED_IN");
  assert.equal(await page.evaluate(() => window.app.state), "pinRequired");
  await assertClosed(page, "#open-reauth", input, [PIN]);
  await p.finish();
});

test("a lockout closes the dialog with DEVICE_LOCKED", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "pinRequired", { maxPinAttempts: 3 });
  const input = await openWithKeyboard(page, "#open-auto");
  for (const expected of ["Wrong PIN. 2 attempts left.", "Wrong PIN. 1 attempt left before this device is locked."]) {
    await page.keyboard.type(OTHER_PIN);
    await page.keyboard.press("Enter");
    assert.equal(await message(page, expected), expected);
  }
  await page.keyboard.type(OTHER_PIN);
  await page.keyboard.press("Enter");
  const result = await outcome(page);
  assert.equal(result.kind, "rejected");
  assert.equal(result.error.code, "DEVICE_LOCKED");
  await assertClosed(page, "#open-auto", input, [OTHER_PIN]);
  assert.equal(await page.evaluate(() => window.app.state), "signedOut");
  await p.finish();
});

test("offline, an unlock or re-authentication stays open for another try; a change closes with TRANSPORT_FAILED", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  const reauth = await openWithKeyboard(page, "#open-reauth");
  await page.evaluate(() => window.app.failRequests(1));
  await page.keyboard.type(PIN);
  await page.keyboard.press("Enter");
  assert.equal(await message(page, "The server could not be reached."), "The server could not be reached. Try again.");
  await page.keyboard.type(PIN);
  await page.keyboard.press("Enter");
  assert.equal((await outcome(page)).kind, "resolved");
  await assertClosed(page, "#open-reauth", reauth, [PIN]);

  // A change may have gone through on the server when its answer is lost: no retry.
  const change = await openWithKeyboard(page, "#open-change");
  await page.keyboard.type(PIN);
  await page.keyboard.press("Enter");
  await page.keyboard.type(NEW_PIN);
  await page.keyboard.press("Enter");
  await page.keyboard.type(NEW_PIN);
  await page.evaluate(() => window.app.failRequests(1));
  await page.keyboard.press("Enter");
  const result = await outcome(page);
  assert.equal(result.error?.code, "TRANSPORT_FAILED");
  assert.match(result.error.message, /^The server could not be reached/);
  await assertClosed(page, "#open-change", change, [PIN, NEW_PIN]);
  assert.equal(await page.evaluate(() => window.app.state), "signedIn");
  const old = await page.evaluate((pin) => window.app.reauthenticate(pin), PIN);
  assert.deepEqual(old, { kind: "resolved" }, "the PIN did not change");
  await p.finish();
});

test("a second promptPin while the prompt is open (a double click) rejects at once with PROMPT_OPEN", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  const input = await openWithKeyboard(page, "#open-reauth");
  await page.keyboard.type(PIN.slice(0, 2));
  for (const mode of ["reauth", "change", undefined]) {
    const second = await page.evaluate((m) => window.app.openAgain(m), mode);
    assert.equal(second.kind, "rejected", `${mode}: ${JSON.stringify(second)}`);
    assert.equal(second.error.code, "PROMPT_OPEN");
    assert.equal(second.error.isPinAuthError, true);
    assert.equal(second.error.message, "A PIN prompt is already open.");
  }
  assert.equal(await page.locator(HOST).count(), 1, "one dialog");
  assert.equal(await page.evaluate(() => window.app.outcome), null, "the first prompt is still open");
  assert.equal(await focused(page), "prompt:entry", "focus stays in the first dialog");
  assert.equal((await view(page)).filled, 2, "with its digits");
  await page.keyboard.type(PIN.slice(2));
  await page.keyboard.press("Enter");
  assert.equal((await outcome(page)).kind, "resolved");
  await assertClosed(page, "#open-reauth", input, [PIN]);
  // Closed: the next call opens a prompt again.
  await openWithKeyboard(page, "#open-reauth");
  await page.keyboard.press("Escape");
  assert.equal((await outcome(page)).error?.code, "CANCELLED");
  await p.finish();
});

test("a real double click on the opener leaves one open dialog (its second click lands on the backdrop)", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  await page.dblclick("#open-reauth");
  const input = await page.locator(`${HOST} input`).elementHandle();
  await page.waitForTimeout(200);
  assert.equal(await page.locator(HOST).count(), 1, "one dialog");
  assert.equal(await page.evaluate(() => window.app.outcome), null, "still open");
  assert.equal(await focused(page), "prompt:entry");
  await page.keyboard.type(PIN);
  await page.keyboard.press("Enter");
  assert.equal((await outcome(page)).kind, "resolved");
  await assertClosed(page, "#open-reauth", input, [PIN]);
  // A single click on the backdrop still cancels.
  await page.click("#open-reauth");
  await page.locator(`${HOST} input`).waitFor({ state: "attached" });
  await page.mouse.click(5, 5);
  assert.equal((await outcome(page)).error?.code, "CANCELLED");
  await p.finish();
});

test("Enter again while a PIN is checked sends nothing: one wrong PIN spends one attempt", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn", { backendDelayMs: 400 });
  await openWithKeyboard(page, "#open-reauth");
  await page.keyboard.type(OTHER_PIN);
  await page.keyboard.press("Enter");
  assert.equal((await view(page)).busy, true, "the PIN is being checked");
  await page.keyboard.press("Enter");
  assert.equal(await message(page, /attempts left/), "Wrong PIN. 4 attempts left.");
  await page.keyboard.type(OTHER_PIN);
  await page.keyboard.press("Enter");
  assert.equal(await message(page, /3 attempts/), "Wrong PIN. 3 attempts left.");
  await page.keyboard.press("Escape");
  assert.equal((await outcome(page)).error?.code, "CANCELLED");
  await p.finish();
});

test("while a PIN is checked, focus is on the PIN field (the focused button is disabled) and the status says so", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  await openWithKeyboard(page, "#open-reauth");
  await page.keyboard.type(OTHER_PIN);
  await page.keyboard.press("Shift+Tab");
  assert.equal(await focused(page), "prompt:submit");
  // Samples where focus is when the progress shows, then at every task while it shows.
  await page.evaluate((hostSelector) => {
    const host = document.querySelector(hostSelector);
    const root = host.shadowRoot;
    const progress = root.querySelector(".progress");
    const status = root.querySelector("[role=status]");
    const samples = (window.__busyFocus = []);
    const sample = () =>
      samples.push({
        inHost: document.activeElement === host,
        inner: root.activeElement?.getAttribute("role") ?? root.activeElement?.className ?? null,
        // Chromium keeps a focused button that was disabled as the active element, though
        // it takes no keys: that is focus lost too.
        disabled: root.activeElement?.disabled === true,
        status: status.textContent,
      });
    const tick = () => {
      if (progress.hidden || !host.isConnected) return;
      sample();
      setTimeout(tick, 0);
    };
    new MutationObserver(() => tick()).observe(progress, { attributes: true, attributeFilter: ["hidden"] });
  }, HOST);
  await page.keyboard.press("Enter");
  assert.equal(await message(page, /attempts left/), "Wrong PIN. 4 attempts left.");
  const samples = await page.evaluate(() => window.__busyFocus);
  assert.ok(samples.length >= 1, "sampled while busy");
  assert.deepEqual(
    samples.filter((s) => !(s.inHost && s.inner && !s.disabled)),
    [],
    `focus left the dialog while busy: ${JSON.stringify(samples)}`,
  );
  assert.deepEqual(
    samples.filter((s) => s.inner !== "entry" || s.status !== "Checking…"),
    [],
    "the (read-only) PIN field holds focus, and the live status says Checking…",
  );
  assert.equal(await focused(page), "prompt:entry", "and keeps it after");
  assert.equal(await page.locator(`${HOST} [role=status]`).textContent(), "", "the status is empty again");
  await page.keyboard.press("Escape");
  await p.finish();
});

// ---------------------------------------------------------------- what a screen reader hears

/** The nodes of Chromium's accessibility tree that are exposed: role, name, live, focused. */
async function axNodes(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Accessibility.enable");
  const { nodes } = await cdp.send("Accessibility.getFullAXTree");
  await cdp.detach();
  const prop = (n, name) => n.properties?.find((p) => p.name === name)?.value.value;
  return nodes
    .filter((n) => !n.ignored)
    .map((n) => ({ role: n.role?.value, name: n.name?.value ?? "", description: n.description?.value ?? "", live: prop(n, "live"), focused: prop(n, "focused") === true }));
}

test("a screen reader hears the progress and the keypad's digit count from a status region there from the start, and each text once", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn", { backendDelayMs: 1500 });
  await openWithKeyboard(page, "#open-reauth");
  // In the tree and empty before anything happens (a region that appears with its text
  // is not reliably read out).
  let nodes = await axNodes(page);
  const statusText = () => page.locator(`${HOST} [role=status]`).textContent();
  assert.equal(nodes.filter((n) => n.role === "status").length, 1, "one status region");
  assert.equal(await statusText(), "", "empty");
  // The step is described once, by the focused field, not again by the dialog.
  const described = nodes.filter((n) => /Enter your PIN to continue/.test(n.description));
  assert.deepEqual(described.map((n) => n.role), ["textbox"], JSON.stringify(described));

  // A digit from the on-screen keypad: focus stays on the key, the status gives the count.
  await pressUntil(page, "Tab", `prompt:key-${OTHER_PIN[0]}`);
  await page.keyboard.press("Enter");
  await page.keyboard.press("Space");
  assert.equal(await statusText(), "Digits entered: 2");
  await pressUntil(page, "Tab", "prompt:key-delete");
  await page.keyboard.press("Enter");
  assert.equal(await statusText(), "Digits entered: 1");
  // Typed into the field, the field itself says it: the status is left alone.
  await page.locator(`${HOST} input`).focus();
  await page.keyboard.type(OTHER_PIN.slice(1));
  assert.equal(await statusText(), "Digits entered: 1");

  await page.keyboard.press("Enter");
  await page.locator(`${HOST} .progress:not([hidden])`).waitFor();
  nodes = await axNodes(page);
  assert.equal(await statusText(), "Checking…", "the same region, now saying it");
  // Its text is in the tree once: the visible progress is hidden from it.
  assert.equal(nodes.filter((n) => n.role === "StaticText" && /Checking/.test(n.name)).length, 1);
  await message(page, /attempts left/);
  await page.keyboard.press("Escape");
  await p.finish();
});

test("focus goes back to an opener inside a web component's shadow root", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  await page.evaluate(() => {
    const widget = document.createElement("div");
    const opener = document.createElement("button");
    opener.id = "inner-opener";
    opener.textContent = "Confirm payment";
    opener.addEventListener("click", () => window.app.open("reauth"));
    widget.attachShadow({ mode: "open" }).append(opener);
    document.querySelector("main").append(widget);
    opener.focus();
  });
  await page.keyboard.press("Enter");
  await page.locator(`${HOST} input`).waitFor({ state: "attached" });
  await page.keyboard.press("Escape");
  assert.equal((await outcome(page)).error?.code, "CANCELLED");
  const now = await page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.id ?? document.activeElement?.tagName);
  assert.equal(now, "inner-opener");
  await p.finish();
});

// A 1280×1024 and a 1280×720 screen zoomed to 400%: wide and low, but too narrow for the
// sideways layout's two columns. One column, which scrolls up and down only (WCAG 1.4.10).
for (const viewport of [{ width: 320, height: 256 }, { width: 320, height: 180 }]) {
  test(`at 400% zoom (${viewport.width}×${viewport.height} CSS px) nothing needs scrolling sideways`, async () => {
    const p = await appPage({ device: { viewport } });
    const { page } = p;
    await prepare(page, "pinSetupRequired");
    await openWithKeyboard(page, "#open-auto");
    const m = await page.evaluate((hostSelector) => {
      const root = document.querySelector(hostSelector).shadowRoot;
      const panel = root.querySelector(".dialog");
      const box = panel.getBoundingClientRect();
      const outside = [...root.querySelectorAll("button, .cell:not([hidden])")].filter((el) => {
        const b = el.getBoundingClientRect();
        return b.left < box.left || b.right > box.right;
      }).length;
      return { scrollWidth: panel.scrollWidth, clientWidth: panel.clientWidth, outside, right: box.right };
    }, HOST);
    assert.ok(m.scrollWidth <= m.clientWidth + 1, `the panel scrolls sideways (${m.scrollWidth} > ${m.clientWidth})`);
    assert.equal(m.outside, 0, "every control and cell inside the panel");
    assert.ok(m.right <= viewport.width, "and the panel inside the viewport");
    await page.keyboard.press("Escape");
    await p.finish();
  });
}

// ---------------------------------------------------------------- options through the JS API

/** Every key of `strings`, as the d.ts of the installed package declares PromptStrings. */
async function declaredStringKeys() {
  const dts = await readFile(join(pkgDir, "pinauth.d.ts"), "utf8");
  const body = /export interface PromptStrings \{([\s\S]*?)\n\}/.exec(dts)?.[1] ?? "";
  return [...body.matchAll(/^\s*(\w+): string;/gm)].map((m) => m[1]);
}

/** A marker text for each string; the placeholders show they are filled in. */
const PLACEHOLDERS = { newPinStep: "length", incomplete: "length", tooShort: "length", wrongPin: "attempts", rateLimited: "seconds", digitsEntered: "count" };
const marked = (key) => (PLACEHOLDERS[key] ? `‹${key} {${PLACEHOLDERS[key]}}›` : `‹${key}›`);

/** The dialog's texts that are not in view(): labels, buttons, progress. */
function labels(page) {
  return page.evaluate((hostSelector) => {
    const root = document.querySelector(hostSelector).shadowRoot;
    const q = (selector) => root.querySelector(selector);
    return {
      pinLabel: q("input").getAttribute("aria-label"),
      keypadLabel: q(".keypad").getAttribute("aria-label"),
      submit: [q("[data-action=submit]").textContent, q("[data-key=submit]").getAttribute("aria-label")],
      cancel: q("[data-action=cancel]").textContent,
      delete: q("[data-key=delete]").getAttribute("aria-label"),
      toggle: q(".toggle").textContent,
      checking: q(".progress").textContent,
    };
  }, HOST);
}

test("every strings key replaces its text, through the JS API", async () => {
  const keys = await declaredStringKeys();
  assert.equal(keys.length, 30, `PromptStrings in pinauth.d.ts: ${keys.join(", ")}`);
  const strings = Object.fromEntries(keys.map((k) => [k, marked(k)]));
  const seen = new Set();
  const saw = (key, actual, expected = marked(key)) => {
    assert.equal(actual, expected, key);
    seen.add(key);
  };
  const p = await appPage();
  const { page } = p;
  await prepare(page, "pinSetupRequired", { maxPinAttempts: 10 });
  await page.evaluate((strings) => (window.app.extraOptions = { strings }), strings);

  // Setup: titles, labels, every reason, incomplete, the confirmation and a mismatch.
  await openWithKeyboard(page, "#open-auto");
  saw("setupTitle", (await view(page)).title);
  saw("newPinStep", (await view(page)).step, "‹newPinStep 6›");
  const l = await labels(page);
  for (const key of ["pinLabel", "keypadLabel", "cancel", "delete", "checking"]) saw(key, l[key]);
  saw("submit", l.submit[0]);
  saw("submit", l.submit[1]);
  saw("show", l.toggle);
  await page.keyboard.press("Tab");
  await page.keyboard.press("Space");
  saw("hide", (await labels(page)).toggle);
  await page.locator(`${HOST} [data-key="7"]`).click();
  saw("digitsEntered", await page.locator(`${HOST} [role=status]`).textContent(), "‹digitsEntered 1›");
  await page.locator(`${HOST} [data-key="delete"]`).click();
  await page.locator(`${HOST} input`).focus();
  await page.keyboard.press("Tab");
  await page.keyboard.press("Shift+Tab");
  assert.equal(await focused(page), "prompt:entry");
  const refused = async (pin, key) => {
    await page.keyboard.type(pin);
    saw(key, await message(page, marked(key)));
    while ((await view(page)).filled) await page.keyboard.press("Backspace");
  };
  await refused("a", "reasonNotDigits");
  await refused("111111", "reasonRepeated");
  await refused("123456", "reasonSequence");
  await refused("147258", "reasonCommon");
  await page.keyboard.type(PIN.slice(0, 2));
  await page.keyboard.press("Enter");
  saw("incomplete", await message(page, "‹incomplete"), "‹incomplete 6›");
  await page.keyboard.type(PIN.slice(2));
  await page.keyboard.press("Enter");
  saw("confirmStep", (await view(page)).step);
  await page.keyboard.type(OTHER_PIN);
  await page.keyboard.press("Enter");
  saw("mismatch", await message(page, marked("mismatch")));
  for (const _ of [1, 2]) {
    await page.keyboard.type(PIN);
    await page.keyboard.press("Enter");
  }
  assert.deepEqual(await outcome(page), { kind: "resolved", value: null });

  // Change: its title and the current-PIN step (too short for any PIN first).
  await openWithKeyboard(page, "#open-change");
  saw("changeTitle", (await view(page)).title);
  saw("currentPinStep", (await view(page)).step);
  await page.keyboard.type(PIN.slice(0, 3));
  await page.keyboard.press("Enter");
  saw("tooShort", await message(page, "‹tooShort"), "‹tooShort 4›");
  await page.keyboard.press("Backspace");
  await page.keyboard.press("Backspace");
  await page.keyboard.press("Backspace");
  await page.keyboard.type(PIN);
  await page.keyboard.press("Enter");
  await page.keyboard.type(PIN);
  saw("samePin", await message(page, marked("samePin")));
  await page.keyboard.press("Escape");

  // Re-authentication: wrong PINs until the last attempt, then the account's rate limit
  // (7 wrong PINs through the API first, 1 on another device of the account later).
  for (let i = 0; i < 7; i++) {
    assert.equal((await page.evaluate((pin) => window.app.reauthenticate(pin), OTHER_PIN)).error?.code, "INVALID_PIN");
  }
  await openWithKeyboard(page, "#open-reauth", "Shift+Tab");
  saw("reauthTitle", (await view(page)).title);
  saw("reauthStep", (await view(page)).step);
  await page.keyboard.type(OTHER_PIN);
  await page.keyboard.press("Enter");
  saw("wrongPin", await message(page, "‹wrongPin"), "‹wrongPin 2›");
  await page.keyboard.type(OTHER_PIN);
  await page.keyboard.press("Enter");
  saw("lastAttempt", await message(page, marked("lastAttempt")));
  assert.deepEqual(await page.evaluate(() => window.app.wrongPinsOnAnotherDevice(1)), ["INVALID_PIN"]);
  await page.keyboard.type(OTHER_PIN);
  await page.keyboard.press("Enter");
  const limited = await message(page, "‹rateLimited");
  assert.match(limited, /^‹rateLimited \d+›$/);
  seen.add("rateLimited");
  await page.keyboard.press("Escape");
  assert.equal((await outcome(page)).error?.code, "CANCELLED");

  // Unlock, on a later visit, with the server out of reach for one try: the dialog stays
  // open, and the PIN again unlocks.
  await prepare(page, "pinRequired");
  await openWithKeyboard(page, "#open-auto", "Shift+Tab");
  saw("unlockTitle", (await view(page)).title);
  saw("unlockStep", (await view(page)).step);
  await page.evaluate(() => window.app.failRequests(1));
  await page.keyboard.type(PIN);
  await page.keyboard.press("Enter");
  saw("unreachable", await message(page, marked("unreachable")));
  await page.keyboard.type(PIN);
  await page.keyboard.press("Enter");
  assert.deepEqual(await outcome(page), { kind: "resolved", value: null });
  assert.equal(await page.evaluate(() => window.app.state), "signedIn");

  assert.deepEqual([...seen].sort(), [...keys].sort(), "every string was seen");
  await p.finish();
});

test("title and subtitle replace the texts of one call; container is where the dialog mounts", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  await mountIn(page, "prompt-slot", { title: "Pay €20 to Ann", subtitle: "Enter your current PIN to approve." });
  const input = await openWithKeyboard(page, "#open-change");
  assert.equal(await page.locator(`#prompt-slot > ${HOST}`).count(), 1, "mounted in the container");
  assert.equal(await page.locator(`body > ${HOST}`).count(), 0, "not in the body");
  assert.deepEqual(
    [(await view(page)).title, (await view(page)).step],
    ["Pay €20 to Ann", "Enter your current PIN to approve."],
  );
  await axe(page, "in a container, with a title and subtitle");
  await page.keyboard.type(PIN);
  await page.keyboard.press("Enter");
  assert.deepEqual(
    [(await view(page)).title, (await view(page)).step],
    ["Pay €20 to Ann", "Choose a PIN of 6 digits for this device."],
    "the title stays; the subtitle is the first step's",
  );
  await page.keyboard.press("Escape");
  assert.equal((await outcome(page)).error?.code, "CANCELLED");
  await assertClosed(page, "#open-change", input, [PIN]);
  assert.equal(await page.locator("#prompt-slot").evaluate((slot) => slot.childElementCount), 0);

  // Without the options, the defaults again (options are per call).
  await page.evaluate(() => (window.app.extraOptions = {}));
  await openWithKeyboard(page, "#open-reauth", "Shift+Tab");
  assert.equal(await page.locator(`body > ${HOST}`).count(), 1, "in the body by default");
  assert.deepEqual([(await view(page)).title, (await view(page)).step], ["Confirm it's you", "Enter your PIN to continue."]);
  await page.keyboard.press("Escape");
  await p.finish();
});

// ---------------------------------------------------------------- layout

/** Where the dialog's parts are: the viewport, the panel (with its scroll sizes), every
 * button (`data-key` or `data-action`, or its class) and the visible PIN cells. */
function layout(page) {
  return page.evaluate((hostSelector) => {
    const root = document.querySelector(hostSelector).shadowRoot;
    const box = (el) => {
      const r = el.getBoundingClientRect();
      return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height };
    };
    const panel = root.querySelector(".dialog");
    return {
      viewport: { width: innerWidth, height: innerHeight },
      panel: { ...box(panel), scrollHeight: panel.scrollHeight, clientHeight: panel.clientHeight, scrollWidth: panel.scrollWidth, clientWidth: panel.clientWidth },
      buttons: [...root.querySelectorAll("button")].map((b) => ({ name: b.dataset.key ?? b.dataset.action ?? b.className, ...box(b) })),
      cells: [...root.querySelectorAll(".cell:not([hidden])")].map((c) => ({ text: c.textContent, ...box(c) })),
    };
  }, HOST);
}

/** Asserts that every button and cell is on screen, inside the panel, which needs no
 * scrolling, and that every button is at least 44×44 CSS pixels. */
function assertAllInView({ viewport, panel, buttons, cells }, what) {
  assert.ok(panel.scrollHeight <= panel.clientHeight + 1 && panel.scrollWidth <= panel.clientWidth + 1,
    `${what}: the panel needs no scrolling (${panel.scrollWidth}×${panel.scrollHeight} in ${panel.clientWidth}×${panel.clientHeight})`);
  for (const part of [...buttons, ...cells]) {
    const name = part.name ?? `cell ${part.text}`;
    assert.ok(part.left >= 0 && part.top >= 0 && part.right <= viewport.width && part.bottom <= viewport.height,
      `${what}: ${name} is on screen (${JSON.stringify(part)})`);
    assert.ok(part.top >= panel.top && part.bottom <= panel.bottom, `${what}: ${name} is inside the panel`);
  }
  for (const b of buttons) {
    assert.ok(b.width >= 44 && b.height >= 44, `${what}: ${b.name} is ${b.width}×${b.height}, under 44×44`);
  }
}

for (const size of [{ width: 568, height: 320 }, { width: 320, height: 568 }, { width: 360, height: 640 }]) {
  test(`on a ${size.width}×${size.height} phone every key, button and cell is on screen without scrolling, and a PIN is set by touch`, async () => {
    const p = await appPage({ device: { viewport: size, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } });
    const { page } = p;
    await prepare(page, "pinSetupRequired");
    await openWithKeyboard(page, "#open-auto");
    const what = `${size.width}×${size.height}`;
    assertAllInView(await layout(page), what);
    const tap = (key) => page.locator(`${HOST} [data-key="${key}"]`).tap();
    for (const digit of PIN) await tap(digit);
    assert.equal((await view(page)).filled, 6);
    assertAllInView(await layout(page), `${what}, the PIN typed on the keypad`);
    await tap("submit");
    assert.equal((await view(page)).step, "Enter the same PIN again.");
    // A confirmation that differs: the longest message, and the flow starts over.
    for (const digit of OTHER_PIN) await tap(digit);
    await tap("submit");
    assert.match((await view(page)).message, /do not match/);
    assertAllInView(await layout(page), `${what}, after a mismatch`);
    for (const digit of PIN) await tap(digit);
    await tap("submit");
    for (const digit of PIN) await tap(digit);
    await page.locator(`${HOST} [data-action="submit"]`).tap();
    assert.deepEqual(await outcome(page), { kind: "resolved", value: null });
    await p.finish();
  });
}

test("the page's own CSS does not reach the prompt: rules matching its host, a 10px root font size", async () => {
  const p = await appPage();
  const { page } = p;
  const sizes = () =>
    page.evaluate((hostSelector) => {
      const root = document.querySelector(hostSelector).shadowRoot;
      const style = (selector) => getComputedStyle(root.querySelector(selector));
      return {
        title: style("#pinauth-title").fontSize,
        step: style("#pinauth-step").fontSize,
        key: style("[data-key='5']").fontSize,
        submit: style("[data-action='submit']").fontSize,
        transform: style("#pinauth-title").textTransform,
        spacing: style("#pinauth-title").letterSpacing,
      };
    }, HOST);
  const expected = { title: "20px", step: "15.2px", key: "20.8px", submit: "16px", transform: "none", spacing: "normal" };
  for (const classes of [["small-root"], ["hostile"], ["small-root", "hostile"]]) {
    await page.evaluate((c) => document.documentElement.classList.add(...c), classes);
    await prepare(page, "signedIn");
    await openWithKeyboard(page, "#open-reauth");
    assert.deepEqual(await sizes(), expected, classes.join(" "));
    const { panel } = await layout(page);
    assert.ok(panel.width >= 300 && panel.height >= 300, `${classes}: the panel is drawn (${panel.width}×${panel.height})`);
    await page.keyboard.type(PIN);
    await page.keyboard.press("Enter");
    assert.equal((await outcome(page)).kind, "resolved", classes.join(" "));
    await page.evaluate((c) => document.documentElement.classList.remove(...c), classes);
  }
  await p.finish();
});

test("the shipped stylesheet, minified by the build, has exactly the rules of the source's", async () => {
  const source = await readFile(fileURLToPath(new URL("../../src/web/prompt.js", import.meta.url)), "utf8");
  const stylesOf = (text) => /const STYLES = `([^`]*)`;/.exec(text)[1];
  const styles = stylesOf(source);
  const snippet = (await readdir(join(pkgDir, "snippets"), { recursive: true })).find((f) => f.endsWith("prompt.js"));
  const installed = stylesOf(await readFile(join(pkgDir, "snippets", snippet), "utf8"));
  assert.ok(!installed.includes("/*") && installed.length < styles.length * 0.8, "the package's copy is minified");
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  await openWithKeyboard(page, "#open-reauth");
  const { shipped, fromSource } = await page.evaluate(
    ([hostSelector, styles]) => {
      const rules = (sheet) => Array.from(sheet.cssRules, (rule) => rule.cssText);
      const [sheet] = document.querySelector(hostSelector).shadowRoot.adoptedStyleSheets;
      const reference = new CSSStyleSheet();
      reference.replaceSync(styles);
      return { shipped: rules(sheet), fromSource: rules(reference) };
    },
    [HOST, styles],
  );
  assert.ok(fromSource.length > 30, `the source has its rules (${fromSource.length})`);
  assert.deepEqual(shipped, fromSource);
  await page.keyboard.press("Escape");
  assert.equal((await outcome(page)).kind, "rejected");
  await p.finish();
});

test("on a right-to-left page the digits and the keypad read left to right, and the English texts too", async () => {
  const p = await appPage();
  const { page } = p;
  await page.evaluate(() => (document.documentElement.dir = "rtl"));
  await prepare(page, "signedIn");
  await openWithKeyboard(page, "#open-reauth");
  await page.keyboard.type("7305");
  await page.locator(`${HOST} .toggle`).click();
  const { cells, buttons } = await layout(page);
  const leftToRight = (parts, text) => [...parts].sort((a, b) => a.left - b.left).map(text).join("");
  assert.equal(leftToRight(cells.filter((c) => c.text), (c) => c.text), "7305");
  const keys = buttons.filter((b) => /^[0-9]$/.test(b.name));
  assert.equal(leftToRight(keys.filter((k) => k.top === keys[0].top), (k) => k.name), "123");
  const direction = await page.evaluate(
    (hostSelector) => getComputedStyle(document.querySelector(hostSelector).shadowRoot.querySelector("#pinauth-step")).direction,
    HOST,
  );
  assert.equal(direction, "ltr");
  await page.keyboard.press("Escape");
  await p.finish();
});

test("in forced colours the panel keeps an edge and the main button a heavier one", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  await openWithKeyboard(page, "#open-reauth");
  await page.keyboard.type(PIN.slice(0, 2));
  const edges = () =>
    page.evaluate((hostSelector) => {
      const root = document.querySelector(hostSelector).shadowRoot;
      const edge = (selector) => {
        const s = getComputedStyle(root.querySelector(selector));
        return `${s.borderTopWidth} ${s.borderTopStyle} ${s.borderTopColor}`;
      };
      return { panel: edge(".dialog"), submit: edge("[data-action='submit']"), cancel: edge("[data-action='cancel']"), filled: edge(".cell.filled") };
    }, HOST);
  const normal = await edges();
  assert.match(normal.panel, /^2px solid rgba\(0, 0, 0, 0\)$/, "invisible without forced colours");
  await page.emulateMedia({ forcedColors: "active" });
  const forced = await edges();
  assert.match(forced.panel, /^2px solid /);
  assert.doesNotMatch(forced.panel, /rgba\(0, 0, 0, 0\)$/, "the panel's edge is drawn");
  assert.match(forced.submit, /^3px solid /);
  assert.match(forced.filled, /^3px solid /);
  assert.match(forced.cancel, /^1px solid /);
  await page.keyboard.press("Escape");
  await p.finish();
});

// ---------------------------------------------------------------- theming

test("--pinauth-accent on the host page colours the submit button inside the shadow root", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  await openWithKeyboard(page, "#open-reauth");
  const submit = page.locator(`${HOST} button.primary`);
  const background = () => submit.evaluate((b) => getComputedStyle(b).backgroundColor);
  assert.equal(await background(), "rgb(47, 91, 234)", "the default accent");
  // prompt-app.css: html.brand-theme { --pinauth-accent: rgb(176, 24, 106); }
  await page.evaluate(() => document.documentElement.classList.add("brand-theme"));
  assert.equal(await background(), "rgb(176, 24, 106)", "the host page's accent");
  await axe(page, "themed");
  // prompt-app.css: html.brand-theme.brand-text { --pinauth-danger, --pinauth-on-accent }
  await page.evaluate(() => document.documentElement.classList.add("brand-text"));
  assert.equal(await submit.evaluate((b) => getComputedStyle(b).color), "rgb(255, 255, 255)", "the text on the accent");
  const danger = await page.evaluate(
    (hostSelector) => getComputedStyle(document.querySelector(hostSelector).shadowRoot.querySelector("#pinauth-message")).color,
    HOST,
  );
  assert.equal(danger, "rgb(140, 0, 0)", "the error colour");
  await page.keyboard.press("Escape");
  assert.equal((await outcome(page)).error?.code, "CANCELLED");
  await p.finish();
});

test("--pinauth-bg, -fg, -radius and -font on the host page restyle the dialog; dark mode has its own defaults", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  await openWithKeyboard(page, "#open-reauth");
  const styles = () =>
    page.evaluate((hostSelector) => {
      const root = document.querySelector(hostSelector).shadowRoot;
      const dialog = getComputedStyle(root.querySelector(".dialog"));
      return {
        bg: dialog.backgroundColor,
        fg: dialog.color,
        radius: dialog.borderTopLeftRadius,
        font: dialog.fontFamily,
        buttonFont: getComputedStyle(root.querySelector("[data-key='5']")).fontFamily,
        accent: getComputedStyle(root.querySelector("button.primary")).backgroundColor,
      };
    }, HOST);
  const light = await styles();
  const { font, buttonFont, ...rest } = light;
  assert.deepEqual(
    rest,
    { bg: "rgb(255, 255, 255)", fg: "rgb(23, 25, 31)", radius: "14px", accent: "rgb(47, 91, 234)" },
    "the light defaults",
  );
  assert.match(font, /^system-ui,/);
  assert.equal(buttonFont, font, "buttons inherit the font");
  await page.emulateMedia({ colorScheme: "dark" });
  assert.deepEqual(
    await styles(),
    { ...light, bg: "rgb(27, 30, 39)", fg: "rgb(238, 240, 246)", accent: "rgb(127, 156, 255)" },
    "prefers-color-scheme: dark changes the default colours",
  );
  await page.emulateMedia({ colorScheme: "light" });
  assert.deepEqual(await styles(), light, "and back");

  // prompt-app.css: html.full-theme sets --pinauth-bg, -fg, -radius, -font.
  await page.evaluate(() => document.documentElement.classList.add("full-theme"));
  const themed = {
    bg: "rgb(255, 250, 240)",
    fg: "rgb(60, 20, 10)",
    radius: "3px",
    font: "Georgia, serif",
    buttonFont: "Georgia, serif",
    accent: light.accent,
  };
  assert.deepEqual(await styles(), themed, "the host page's theme");
  await axe(page, "fully themed");
  await page.emulateMedia({ colorScheme: "dark" });
  assert.deepEqual(await styles(), { ...themed, accent: "rgb(127, 156, 255)" }, "the page's theme wins in dark mode too");
  await page.keyboard.press("Escape");
  assert.equal((await outcome(page)).error?.code, "CANCELLED");
  await p.finish();
});

// ---------------------------------------------------------------- the checks check

test("sanity: axe reports a broken control inside the shadow root", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  await openWithKeyboard(page, "#open-reauth");
  await page.evaluate((hostSelector) => {
    const dialog = document.querySelector(hostSelector).shadowRoot.querySelector("[role=dialog]");
    const broken = document.createElement("button");
    broken.className = "broken";
    dialog.append(broken);
  }, HOST);
  const results = await new AxeBuilder({ page }).analyze();
  const buttonName = results.violations.find((v) => v.id === "button-name");
  assert.ok(buttonName, "axe finds the nameless button");
  assert.deepEqual(
    buttonName.nodes.map((n) => n.target),
    [[["pinauth-prompt", ".broken"]]],
    "…inside the prompt's shadow root",
  );
  await page.keyboard.press("Escape");
  await p.finish();
});

test("sanity: the strict CSP is enforced and a violation would be seen", async () => {
  const p = await appPage();
  const { page } = p;
  await prepare(page, "signedIn");
  await openWithKeyboard(page, "#open-reauth");
  // An inline script on the page, and an inline style attribute inside the prompt's
  // shadow root (what the prompt itself must never use): both are reported.
  await page.evaluate((hostSelector) => {
    const script = document.createElement("script");
    script.textContent = "window.inlineRan = true;";
    document.head.append(script);
    const title = document.querySelector(hostSelector).shadowRoot.querySelector("#pinauth-title");
    title.setAttribute("style", "color: red");
  }, HOST);
  // The violation events are queued as tasks: wait for both (at most 5 s).
  let violations = [];
  for (let i = 0; i < 50 && violations.length < 2; i++) {
    await page.waitForTimeout(100);
    violations = await p.cspViolations();
  }
  assert.equal(await page.evaluate(() => window.inlineRan), undefined, "the inline script was blocked");
  const directives = violations.map((v) => v.directive).sort();
  assert.deepEqual(directives, ["script-src-elem", "style-src-attr"]);
  assert.ok(p.consoleMessages.some((m) => m.startsWith("error:") && m.includes("Content Security Policy")));
  await page.keyboard.press("Escape");
  await p.context.close();
});
