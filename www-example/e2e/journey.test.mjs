// The whole journey of one person on one device, as they do it: typing, tapping the PIN
// prompt's keypad, reloading. The steps share one page and run in order.
import { after, before } from "node:test";
import assert from "node:assert/strict";
import {
  appReady,
  assertAccessible,
  assertNoErrors,
  createPin,
  deviceId,
  expectPrompt,
  expectState,
  newContext,
  openPage,
  prompt,
  promptClosed,
  promptSays,
  register,
  scenario,
  signIn,
  start,
  tapPin,
  typePin,
} from "./harness.mjs";

const step = scenario("journey");
const EMAIL = "ann@example.com";
const PASSWORD = "correct horse battery";
const PIN = "730519";
const PIN2 = "284617";
const PIN3 = "915372";
const PIN4 = "461938";

let env;
let page;

before(async () => {
  env = await start();
  const context = await newContext(env);
  page = await openPage(env, context, "/", "journey");
});

after(async () => {
  await env?.stop();
});

step("register, sign in with the password, and create a PIN in the prompt", async () => {
  await page.getByRole("heading", { name: /Sign in once/ }).waitFor();
  await expectState(page, "signedOut");
  await assertAccessible(page, "the sign-in page");

  await register(page, EMAIL, PASSWORD);
  // Registering does not sign in; the sign-in form has the email filled in.
  await expectState(page, "signedOut");
  const panel = page.getByRole("tabpanel");
  assert.equal(await panel.getByLabel("Email").inputValue(), EMAIL);
  await panel.getByLabel("Password").fill("wrong password!");
  await panel.getByRole("button", { name: "Sign in" }).click();
  await panel.getByRole("alert").getByText("don't match an account").waitFor();

  await signIn(page, EMAIL, PASSWORD);
  await expectPrompt(page, "Create a PIN");
  await expectState(page, "pinSetupRequired");
  await assertAccessible(page, "the PIN setup prompt over the app");
  // The policy is checked while typing: a sequence is refused before anything is sent.
  for (const digit of "123456") await prompt(page).locator(`[data-key="${digit}"]`).click();
  await promptSays(page, "Too easy to guess: a sequence.");
  for (let i = 0; i < 6; i++) await prompt(page).getByRole("button", { name: "Delete last digit" }).click();
  await createPin(page, PIN);

  await page.getByRole("heading", { name: /Good (morning|afternoon|evening)/ }).waitFor();
  await page.getByText("PIN created").waitFor();
  assert.equal(await page.getByTestId("live-user").textContent(), EMAIL);
  assert.match(await page.getByTestId("pin-session-left").textContent(), /^6 d 23 h|^7 d 0 h$/);
  assert.match(await page.getByTestId("access-token-left").textContent(), /^≈ 14:\d\d$/);
  await assertAccessible(page, "the dashboard");
});

step(
  "a reload asks for the PIN; wrong PINs count down to a lockout; the password and a new PIN take over",
  async () => {
    await page.reload();
    await appReady(page);
    await expectPrompt(page, "Enter your PIN");
    await expectState(page, "pinRequired");
    assert.equal(await page.getByTestId("access-token-left").textContent(), "none");

    await tapPin(page, "111111");
    await promptSays(page, "Wrong PIN. 4 attempts left.");
    await typePin(page, "222222");
    await promptSays(page, "Wrong PIN. 3 attempts left.");
    await tapPin(page, "333333");
    await promptSays(page, "Wrong PIN. 2 attempts left.");
    await typePin(page, "444444");
    await promptSays(page, "Wrong PIN. 1 attempt left before this device is locked.");
    await tapPin(page, "555555");
    await promptClosed(page);

    await expectState(page, "signedOut");
    await page.getByTestId("notice").getByText("Too many wrong PINs").waitFor();
    // Back to the password; the device needs a new PIN.
    await page.getByRole("tabpanel").getByLabel("Password").fill(PASSWORD);
    await page.getByRole("tabpanel").getByRole("button", { name: "Sign in" }).click();
    await createPin(page, PIN2);
    await page.getByRole("heading", { name: /Good (morning|afternoon|evening)/ }).waitFor();
  },
);

step(
  "send money: the PIN approves a transfer the bank accepts once; a replay and an expired approval are refused",
  async () => {
    // A 3-second approval lifetime, so that expiry can be watched.
    await page.getByText("Custom lifetimes").click();
    await page.getByLabel("Transfer approval, re-auth token (seconds)").fill("3");
    await page.getByRole("button", { name: "Apply and reload" }).click();
    await appReady(page);
    await page.getByTestId("lifetimes").getByText("approvals 3 s").waitFor();
    await expectPrompt(page, "Enter your PIN");
    await typePin(page, PIN2);
    await promptClosed(page);
    await expectState(page, "signedIn");
    assert.equal(await page.getByTestId("balance").textContent(), "€2,480.00");

    const send = page.getByRole("form", { name: "Send money" });
    await send.getByLabel("Recipient").fill("Ben Okafor");
    await send.getByLabel("Amount (EUR)").fill("25");
    await send.getByRole("button", { name: "Send money" }).click();
    await expectPrompt(page, "Confirm transfer");
    await prompt(page).getByText("Enter your PIN to send €25.00 to Ben Okafor.").waitFor();
    await tapPin(page, "000000");
    await promptSays(page, "attempts left");
    await tapPin(page, PIN2);
    await promptClosed(page);
    const verdict = page.getByTestId("verdict");
    await verdict.getByText("Accepted by the bank server").waitFor();
    assert.match(await verdict.textContent(), /validateReauthToken\(token\) → \{ valid: true, uid: /);
    assert.equal(await page.getByTestId("balance").textContent(), "€2,455.00");

    // The same approval again: single use.
    await page.getByRole("button", { name: "Replay this approval" }).click();
    await verdict.getByText("Refused by the bank server").waitFor();
    assert.match(await verdict.textContent(), /already used/);
    assert.match(await verdict.textContent(), /→ \{ valid: false \}/);
    assert.equal(await page.getByTestId("balance").textContent(), "€2,455.00");

    // An approval held past its lifetime.
    await send.getByLabel("Amount (EUR)").fill("40");
    await send.getByLabel("Approve now, send to the bank later").check();
    await send.getByRole("button", { name: "Send money" }).click();
    await expectPrompt(page, "Confirm transfer");
    await typePin(page, PIN2);
    await promptClosed(page);
    await page.getByTestId("approval").getByText("Not sent yet.").waitFor();
    await page.getByTestId("approval-left").getByText("expired").waitFor({ timeout: 6000 });
    await page.getByRole("button", { name: "Send to the bank" }).click();
    await verdict.getByText("Refused by the bank server").waitFor();
    assert.match(await verdict.textContent(), /expired/);
    assert.equal(await page.getByTestId("balance").textContent(), "€2,455.00");
    const refused = page.locator('.activity [data-status="refused"]');
    assert.equal(await refused.count(), 2);
  },
);

step("change the PIN in the prompt; a reload unlocks with the new one", async () => {
  await page.getByRole("button", { name: "Change PIN" }).click();
  await expectPrompt(page, "Change your PIN");
  await prompt(page).getByText("Enter your current PIN.").waitFor();
  await typePin(page, PIN2);
  await prompt(page).getByText("Choose a PIN of 6 digits for this device.").waitFor();
  await tapPin(page, PIN3);
  await prompt(page).getByText("Enter the same PIN again.").waitFor();
  await tapPin(page, "915373");
  await promptSays(page, "The PINs do not match. Choose your PIN again.");
  await typePin(page, PIN3);
  await prompt(page).getByText("Enter the same PIN again.").waitFor();
  await typePin(page, PIN3);
  await promptClosed(page);
  await page.getByText("PIN changed").waitFor();

  await page.reload();
  await appReady(page);
  await expectPrompt(page, "Enter your PIN");
  await tapPin(page, PIN2);
  await promptSays(page, "attempts left");
  await tapPin(page, PIN3);
  await promptClosed(page);
  await expectState(page, "signedIn");
});

step(
  "forgot PIN: the reset email arrives in the inbox, its link fills in the form, the new PIN signs in",
  async () => {
    await page.reload();
    await appReady(page);
    await expectPrompt(page, "Enter your PIN");
    await page.keyboard.press("Escape");
    await promptClosed(page);
    await page.getByRole("heading", { name: "Welcome back" }).waitFor();
    await assertAccessible(page, "the locked screen");

    await page.getByRole("link", { name: "Forgot PIN?" }).click();
    await page.getByRole("heading", { name: "Reset your PIN" }).waitFor();
    assert.equal(await page.getByLabel("Email", { exact: true }).inputValue(), EMAIL);
    await page.getByRole("button", { name: "Email me a reset link" }).click();
    await page.getByTestId("forgot-sent").waitFor();

    const inbox = page.locator("#inbox");
    await inbox.getByText("Reset your PIN").waitFor();
    await inbox.getByRole("link", { name: "Reset PIN" }).click();
    await page.getByRole("heading", { name: "Choose a new PIN" }).waitFor();
    await assertAccessible(page, "the reset form");
    const token = await page.getByLabel("Reset code (from the email)").inputValue();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    await page.getByLabel("New PIN", { exact: true }).fill("111111");
    await page.getByText("Too easy to guess: repeated digits.").waitFor();
    await page.getByLabel("New PIN", { exact: true }).fill(PIN4);
    await page.getByLabel("Confirm new PIN").fill(PIN4);
    await page.getByRole("button", { name: "Set new PIN" }).click();
    await page.getByText("PIN reset").first().waitFor();
    await expectState(page, "signedIn");
    await page.getByRole("heading", { name: /Good (morning|afternoon|evening)/ }).waitFor();

    // The link works once.
    await inbox.getByRole("link", { name: "Reset PIN" }).click();
    await page.getByLabel("New PIN", { exact: true }).fill(PIN);
    await page.getByLabel("Confirm new PIN").fill(PIN);
    await page.getByRole("button", { name: "Set new PIN" }).click();
    await page.getByRole("alert").getByText("already used or is not valid").waitFor();
    await page.getByRole("button", { name: "Cancel" }).click();

    await page.reload();
    await appReady(page);
    await expectPrompt(page, "Enter your PIN");
    await typePin(page, PIN4);
    await promptClosed(page);
    await expectState(page, "signedIn");
  },
);

step("the devices list shows this device; signing out ends the session, also after a reload", async () => {
  const devices = page.getByRole("list", { name: "Devices on this account" }).getByRole("listitem");
  assert.equal(await devices.count(), 1);
  const id = await deviceId(page);
  await devices.first().getByText("This device").waitFor();
  await devices.first().getByText("PIN set").waitFor();
  assert.equal(await devices.first().getAttribute("data-device-id"), id);

  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await expectState(page, "signedOut");
  await page.getByText("Signed out").first().waitFor();
  await page.getByRole("heading", { name: /Sign in once/ }).waitFor();
  assert.equal(await page.getByTestId("pin-session-left").textContent(), "none");

  await page.reload();
  await appReady(page);
  await expectState(page, "signedOut");
  assert.equal(await prompt(page).count(), 0);
  assertNoErrors(page);
});

step("an SDK warning (a corrupt stored token) shows as a toast", async () => {
  // Not something a person does: the stored PIN session is damaged behind the app's back.
  await page.evaluate(() => localStorage.setItem("pinauth:pinauth-demo:v1:pinSession", "{not json"));
  await page.reload();
  await appReady(page);
  const toast = page.locator('.toast[data-kind="warning"]', { hasText: "STORAGE_CORRUPT" });
  await toast.waitFor();
  await expectState(page, "signedOut");
  assertNoErrors(page);
});
