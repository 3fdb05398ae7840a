// Watching expiry happen, as the demo controls allow: short lifetimes set in the side
// panel; the access token runs out (back to the PIN prompt), then the PIN session does
// (back to the password).
import { after, before } from "node:test";
import assert from "node:assert/strict";
import {
  appReady,
  assertNoErrors,
  expectPrompt,
  expectState,
  newContext,
  newUser,
  openPage,
  promptClosed,
  scenario,
  start,
  typePin,
} from "./harness.mjs";

const step = scenario("expiry");
const PIN = "730519";

let env;
let page;

before(async () => {
  env = await start();
  const context = await newContext(env);
  page = await openPage(env, context, "/", "expiry");
});

after(async () => {
  await env?.stop();
});

step("the fast-expiry switch recreates the backend with short lifetimes", async () => {
  const toggle = page.getByRole("switch", { name: "Fast expiry" });
  assert.equal(await toggle.getAttribute("aria-checked"), "false");
  await toggle.click();
  await appReady(page);
  await page.getByText("Fast expiry on").waitFor();
  assert.equal(await page.getByRole("switch", { name: "Fast expiry" }).getAttribute("aria-checked"), "true");
  await page
    .getByTestId("lifetimes")
    .getByText("access 20 s · PIN session 1 min · approvals 15 s (fast)")
    .waitFor();
});

step("the access token runs out, then the PIN session: the countdowns reach the state changes", async () => {
  // Shorter still, so that the test waits seconds: access 8 s (the SDK drops it 2 s
  // early), PIN session 16 s.
  await page.getByText("Custom lifetimes").click();
  await page.getByLabel("Access token (seconds)").fill("8");
  await page.getByLabel("PIN session (seconds)").fill("16");
  await page.getByRole("button", { name: "Apply and reload" }).click();
  await appReady(page);
  await page.getByTestId("lifetimes").getByText("access 8 s · PIN session 16 s").waitFor();

  await newUser(page, "clock@example.com", "tick tock tick tock", PIN);
  const started = Date.now();
  assert.match(await page.getByTestId("access-token-left").textContent(), /^≈ 0:0[2-6]$/);
  assert.match(await page.getByTestId("pin-session-left").textContent(), /^0:1[4-6]$/);

  // The access token goes (after ~6 s): the app locks and asks for the PIN.
  await expectState(page, "pinRequired", 10_000);
  const locked = (Date.now() - started) / 1000;
  assert.ok(locked > 4 && locked < 9, `locked after ${locked} s`);
  await page.getByText("The access token expired").waitFor();
  await expectPrompt(page, "Enter your PIN");
  await typePin(page, PIN);
  await promptClosed(page);
  await expectState(page, "signedIn");

  // The PIN session goes (16 s after the PIN was set): back to the password.
  await expectState(page, "signedOut", 15_000);
  const ended = (Date.now() - started) / 1000;
  assert.ok(ended > 13 && ended < 19, `signed out after ${ended} s`);
  await page.getByTestId("notice").getByText("PIN session on this device ended").waitFor();
  assert.equal(await page.getByTestId("pin-session-left").textContent(), "none");
  assertNoErrors(page);
});
