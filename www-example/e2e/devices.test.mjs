// New devices must be asked for their own PIN: this browser after "Forget this device",
// and a second device — the same app with its own appId (?device=tablet), so its own
// device identity, on the same MockBackend. Revoking that device signs it out.
import { after, before } from "node:test";
import assert from "node:assert/strict";
import {
  assertNoErrors,
  createPin,
  deviceId,
  expectPrompt,
  expectState,
  newContext,
  newUser,
  openPage,
  prompt,
  scenario,
  signIn,
  start,
  typePin,
} from "./harness.mjs";

const step = scenario("devices");
const EMAIL = "dev@example.com";
const PASSWORD = "two devices, one user";

let env;
let context;
let main;
let tablet;
let firstId;

const devices = (page) => page.getByRole("list", { name: "Devices on this account" }).getByRole("listitem");

before(async () => {
  env = await start();
  context = await newContext(env);
  main = await openPage(env, context, "/", "main");
});

after(async () => {
  await env?.stop();
});

step("after “Forget this device”, the browser is a new device that needs its own PIN", async () => {
  await newUser(main, EMAIL, PASSWORD, "730519");
  firstId = await deviceId(main);

  await main.getByRole("button", { name: "Forget this device" }).click();
  await main
    .getByRole("group", { name: "Confirm forgetting this device" })
    .getByRole("button", { name: "Forget it" })
    .click();
  await expectState(main, "signedOut");
  await main.getByTestId("notice").getByText("This device was forgotten").waitFor();
  const newId = await deviceId(main);
  assert.notEqual(newId, firstId);

  // Same account, same password: the new device is asked to create a PIN.
  await signIn(main, EMAIL, PASSWORD);
  await expectPrompt(main, "Create a PIN");
  await expectState(main, "pinSetupRequired");
  await createPin(main, "284617");
  // The forgotten identity was revoked on the backend: one device left, the new one.
  // (The list is fetched after the state change: wait for the new device to show.)
  await devices(main).and(main.locator(`[data-device-id="${newId}"]`)).waitFor();
  assert.equal(await devices(main).count(), 1);
  assert.equal(await devices(main).first().getAttribute("data-device-id"), newId);
  firstId = newId;
});

step("a second device (its own appId, same backend) is asked for its own PIN", async () => {
  tablet = await openPage(env, context, "/?device=tablet", "tablet");
  await tablet.bringToFront();
  await tablet.getByRole("banner").getByText("Simulated tablet").waitFor();
  // Its own identity and no session of its own, although the main device is signed in.
  await expectState(tablet, "signedOut");
  assert.notEqual(await deviceId(tablet), firstId);
  assert.equal(await prompt(tablet).count(), 0);

  await signIn(tablet, EMAIL, PASSWORD);
  await expectPrompt(tablet, "Create a PIN");
  await createPin(tablet, "915372");
  // The main device's PIN does not unlock the tablet: a reload asks for the tablet's PIN.
  await tablet.reload();
  await expectPrompt(tablet, "Enter your PIN");
  await typePin(tablet, "284617");
  await prompt(tablet).locator(".message", { hasText: "4 attempts left" }).waitFor();
  await typePin(tablet, "915372");
  await expectState(tablet, "signedIn");

  // Both are listed, on each device, with "This device" on its own.
  await main.bringToFront();
  await devices(main).nth(1).waitFor();
  assert.equal(await devices(main).count(), 2);
  await devices(main).filter({ hasText: "Simulated tablet" }).getByText("PIN set").waitFor();
  await devices(tablet).filter({ hasText: "This device" }).getByText("Simulated tablet").waitFor();
  assert.equal(await devices(tablet).count(), 2);
});

step("revoking the second device from the first signs it out there", async () => {
  const row = devices(main).filter({ hasText: "Simulated tablet" });
  await row.getByRole("button", { name: /^Revoke Simulated tablet/ }).click();
  await row
    .getByRole("group", { name: /Confirm revoking/ })
    .getByRole("button", { name: "Revoke" })
    .click();
  await main.getByText("Device revoked").waitFor();
  await devices(main).nth(1).waitFor({ state: "detached" });
  assert.equal(await devices(main).count(), 1);

  await tablet.bringToFront();
  await expectState(tablet, "signedOut");
  await tablet.getByTestId("notice").getByText("revoked from another device").waitFor();
  // Its old PIN session is gone for good: a reload stays signed out.
  await tablet.reload();
  await expectState(tablet, "signedOut");
  await expectState(main, "signedIn");
  assertNoErrors(main);
  assertNoErrors(tablet);
});
