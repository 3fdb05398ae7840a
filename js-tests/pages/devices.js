// Page side of the two-devices test: two PinAuth instances with different appIds on one
// MockBackend are two devices of one user.
import { MockBackend, PinAuth } from "pinauth";
import { outcome, freshEmail } from "./common.js";

const PASSWORD = "correct horse battery";

export async function twoDevices() {
  const startedAt = Date.now();
  const backend = MockBackend.create();
  const phone = await PinAuth.create({ backend, appId: "phone" });
  const laptop = await PinAuth.create({ backend, appId: "laptop" });
  const email = freshEmail("two-devices");
  const r = { startedAt, phoneId: phone.deviceId, laptopId: laptop.deviceId };

  await phone.register(email, PASSWORD);
  r.devicesBefore = await backend.devices(email);
  r.phoneLogin = await phone.login(email, PASSWORD);
  await phone.setPin("730519");
  r.devicesAfterPhone = await backend.devices(email);
  r.laptopLogin = await laptop.login(email, PASSWORD);
  await laptop.setPin("264801");
  r.devicesAfterBoth = await backend.devices(email);
  r.phoneUser = phone.user;
  r.laptopUser = laptop.user;

  // Later visits: each device keeps its identity and its own attempt counter.
  const phone2 = await PinAuth.create({ backend, appId: "phone" });
  const laptop2 = await PinAuth.create({ backend, appId: "laptop" });
  r.phone2 = { id: phone2.deviceId, state: phone2.state };
  r.laptop2 = { id: laptop2.deviceId, state: laptop2.state };
  r.laptopWrong = await outcome(() => laptop2.loginWithPin("730519")); // the phone's PIN
  r.phoneWrong = await outcome(() => phone2.loginWithPin("264801")); // the laptop's PIN
  r.phoneRight = await outcome(() => phone2.loginWithPin("730519"));

  // A re-authentication token names the device it came from, and is single use.
  const { token, expiresAt } = await laptop.reauthenticate("264801");
  r.reauthExpiresAt = expiresAt;
  r.validation = await backend.validateReauthToken(token);
  r.validationAgain = await backend.validateReauthToken(token);
  r.validationBogus = await backend.validateReauthToken("not-a-token");

  // A forgotten PIN is reset on one device only.
  await phone2.forgotPin(email);
  await phone2.forgotPin("nobody@example.com");
  r.outbox = await backend.outbox(email);
  r.outboxNobody = await backend.outbox("nobody@example.com");
  r.reset = await outcome(() => phone2.resetPin(r.outbox.at(-1).resetToken, "591730"));
  r.afterReset = phone2.state;
  r.resetAgain = await outcome(() => phone2.resetPin(r.outbox.at(-1).resetToken, "591730"));
  r.laptopStill = laptop.state;
  r.now = Date.now();
  return r;
}

/** Two devices with PINs; the phone runs the npm README's block that revokes a lost device
 * (served as /readme-revoke.js by the test), then the laptop tries its PIN. */
export async function readmeRevoke() {
  const backend = MockBackend.create();
  const phone = await PinAuth.create({ backend, appId: "revoke-phone", storage: "memory" });
  const laptop = await PinAuth.create({ backend, appId: "revoke-laptop", storage: "memory" });
  const email = freshEmail("revoke");
  await phone.register(email, PASSWORD);
  await laptop.login(email, PASSWORD);
  await laptop.setPin("264801");
  await phone.login(email, PASSWORD);
  await phone.setPin("730519");
  const ids = async () => (await backend.devices(email)).map((d) => d.deviceId);
  const r = { phoneId: phone.deviceId, laptopId: laptop.deviceId, devicesBefore: await ids() };
  const { default: run } = await import("/readme-revoke.js");
  r.revoked = await run(phone, backend);
  r.devicesAfter = await ids();
  r.phoneState = phone.state;
  r.laptopUnlock = await outcome(() => laptop.loginWithPin("264801"));
  r.laptopState = laptop.state;
  return r;
}
