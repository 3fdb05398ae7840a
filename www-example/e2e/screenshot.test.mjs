// The README's screenshots, taken from a real run of the production build:
//   docs/demo/app.png     the dashboard after a transfer, with a reset email in the inbox
//                         and a second device on the account;
//   docs/demo/prompt.png  the PIN prompt confirming a transfer.
// SCREENSHOT_DIR overrides the folder.
import { after, before } from "node:test";
import assert from "node:assert/strict";
import { mkdir, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import {
  assertNoErrors,
  expectPrompt,
  expectState,
  newContext,
  newUser,
  openPage,
  prompt,
  promptClosed,
  scenario,
  start,
  tapPin,
} from "./harness.mjs";

const step = scenario("screenshot");
const OUT = process.env.SCREENSHOT_DIR ?? fileURLToPath(new URL("../../docs/demo/", import.meta.url));
const EMAIL = "ann@example.com";
const PASSWORD = "correct horse battery";
const PIN = "730519";

let env;
let context;
let page;

before(async () => {
  env = await start();
  context = await newContext(env, {
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 2,
    colorScheme: "light",
  });
  page = await openPage(env, context, "/", "screenshot");
});

after(async () => {
  await env?.stop();
});

/** Closes every toast, so that the picture shows the app. */
async function clearToasts() {
  const close = page.getByRole("button", { name: "Dismiss notification" });
  while ((await close.count()) > 0) await close.first().click();
}

step("docs/demo/app.png: the dashboard of a signed-in user", async () => {
  await newUser(page, EMAIL, PASSWORD, PIN);

  // A second device on the account.
  const tablet = await openPage(env, context, "/?device=tablet", "tablet");
  await tablet.getByRole("tabpanel").getByLabel("Password").fill(PASSWORD);
  await tablet.getByRole("tabpanel").getByLabel("Email").fill(EMAIL);
  await tablet.getByRole("tabpanel").getByRole("button", { name: "Sign in" }).click();
  await expectPrompt(tablet, "Create a PIN");
  await tapPin(tablet, "284617");
  await tapPin(tablet, "284617");
  await expectState(tablet, "signedIn");
  await tablet.close();
  await page.bringToFront();

  // A transfer, approved with the PIN and accepted by the bank.
  const send = page.getByRole("form", { name: "Send money" });
  await send.getByLabel("Recipient").fill("Chloé Martin");
  await send.getByLabel("Amount (EUR)").fill("64.50");
  await send.getByRole("button", { name: "Send money" }).click();
  await expectPrompt(page, "Confirm transfer");
  await tapPin(page, PIN);
  await promptClosed(page);
  await page.getByTestId("verdict").getByText("Accepted by the bank server").waitFor();

  // A PIN reset email in the inbox.
  await page.getByRole("button", { name: "Email me a reset link" }).click();
  await page.locator("#inbox").getByText("Reset your PIN").waitFor();

  await page.getByRole("list", { name: "Devices on this account" }).getByRole("listitem").nth(1).waitFor();
  await clearToasts();
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    document.querySelector("#inspector")?.scrollTo(0, 0);
    document.activeElement instanceof HTMLElement && document.activeElement.blur();
  });
  await mkdir(OUT, { recursive: true });
  await page.screenshot({ path: join(OUT, "app.png") });
  assert.ok((await stat(join(OUT, "app.png"))).size > 50_000);
});

step("docs/demo/prompt.png: the PIN prompt confirming a transfer", async () => {
  const send = page.getByRole("form", { name: "Send money" });
  await send.getByLabel("Recipient").fill("Ben Okafor");
  await send.getByLabel("Amount (EUR)").fill("25");
  await send.getByRole("button", { name: "Send money" }).click();
  await expectPrompt(page, "Confirm transfer");
  for (const digit of "7305") await prompt(page).locator(`[data-key="${digit}"]`).click();
  await clearToasts();
  await page.screenshot({ path: join(OUT, "prompt.png") });
  await page.keyboard.press("Escape");
  await promptClosed(page);
  assertNoErrors(page);
});
