// Page side of the error-shape test: provokes each kind of PinAuthError and reports it.
import { MockBackend, PinAuth, isPinAuthError } from "pinauth";
import { describe, outcome, freshEmail } from "./common.js";

const PASSWORD = "correct horse battery";
const PIN = "730519";

export async function errorShape() {
  const backend = MockBackend.create({ maxPasswordAttempts: 2 });
  const auth = await PinAuth.create({ backend, appId: "errors" });
  const email = freshEmail("errors");
  await auth.register(email, PASSWORD);
  const taken = await outcome(() => auth.register(email, PASSWORD));
  const loggedIn = await auth.login(email, PASSWORD);

  // A weak PIN: refused with the same reason checkPin gives.
  const weak = await outcome(() => auth.setPin("123456"));
  const check = auth.checkPin("123456");
  await auth.setPin(PIN);

  // A wrong PIN on a later visit.
  const later = await PinAuth.create({ backend, appId: "errors" });
  const laterState = later.state;
  const wrongPin = await outcome(() => later.loginWithPin("730591"));
  const notSignedIn = await outcome(() => later.getAccessToken());

  // Password lockout of another account (maxPasswordAttempts: 2).
  const victim = freshEmail("locked");
  await auth.register(victim, PASSWORD);
  const passwordAttempts = [];
  for (let i = 0; i < 4; i++) {
    const o = await outcome(() => auth.login(victim, "wrong password"));
    passwordAttempts.push(o);
    if (o.error?.code === "ACCOUNT_LOCKED") break;
  }
  // A synchronous throw.
  const syncThrow = await outcome(() => MockBackend.create({ maxPinAttempts: 0 }));

  return {
    loggedIn,
    taken,
    weak,
    check,
    laterState,
    wrongPin,
    notSignedIn,
    passwordAttempts,
    syncThrow,
    // isPinAuthError on values that are not errors of this SDK.
    notPinAuthErrors: {
      "new Error('x')": isPinAuthError(new Error("x")),
      "new TypeError('x')": isPinAuthError(new TypeError("x")),
      "plain object { name, code }": isPinAuthError({ name: "PinAuthError", code: "INVALID_INPUT" }),
      "plain object { name, code, message }": isPinAuthError({ name: "PinAuthError", code: "INVALID_PIN", message: "m" }),
      "Error named PinAuthError without code": isPinAuthError(Object.assign(new Error("x"), { name: "PinAuthError" })),
      "Error named PinAuthError with an unknown code": isPinAuthError(Object.assign(new Error("x"), { name: "PinAuthError", code: "NOPE" })),
      null: isPinAuthError(null),
      undefined: isPinAuthError(undefined),
      "'PinAuthError'": isPinAuthError("PinAuthError"),
      "'INVALID_PIN'": isPinAuthError("INVALID_PIN"),
      "42": isPinAuthError(42),
      "{}": isPinAuthError({}),
    },
  };
}
