// Two tabs (pages) of one browser context share the device and its PIN session: a logout
// in one signs the other out, and a sign-in in one moves the other to the PIN prompt.
import { after, before } from "node:test";
import assert from "node:assert/strict";
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
  signIn,
  start,
  tapPin,
} from "./harness.mjs";

const step = scenario("tabs");
const EMAIL = "tabs@example.com";
const PASSWORD = "one browser, two tabs";
const PIN = "730519";

let env;
let first;
let second;

before(async () => {
  env = await start();
  const context = await newContext(env);
  first = await openPage(env, context, "/", "tab-1");
  await newUser(first, EMAIL, PASSWORD, PIN);
  second = await openPage(env, context, "/", "tab-2");
});

after(async () => {
  await env?.stop();
});

step(
  "a second tab starts at the PIN prompt (the PIN session is shared, the access token is not)",
  async () => {
    // The person looks at the second tab (a background tab's timers are throttled).
    await second.bringToFront();
    await expectPrompt(second, "Enter your PIN");
    await expectState(second, "pinRequired");
    await tapPin(second, PIN);
    await promptClosed(second);
    await expectState(second, "signedIn");
    await expectState(first, "signedIn");
  },
);

step("logout in one tab signs the other out", async () => {
  await first.bringToFront();
  await first.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await expectState(first, "signedOut");
  await expectState(second, "signedOut", 5000);
  await second.getByRole("heading", { name: /Sign in once/ }).waitFor();
  await second.getByTestId("notice").getByText("signed out, in another tab").waitFor();
});

step(
  "a sign-in in one tab brings the other to its PIN prompt; a logout while it is open closes it",
  async () => {
    await signIn(first, EMAIL, PASSWORD);
    // The device kept its PIN: the password alone signs in here.
    await expectState(first, "signedIn");
    await expectState(second, "pinRequired", 5000);
    await second.bringToFront();
    await expectPrompt(second, "Enter your PIN");

    await first.bringToFront();
    await first.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
    await expectState(second, "signedOut", 5000);
    await prompt(second).waitFor({ state: "detached" });
    assert.equal(await prompt(second).count(), 0);
    assertNoErrors(first);
    assertNoErrors(second);
  },
);
