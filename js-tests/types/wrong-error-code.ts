// expect-error: TS2367 — "WRONG_PIN" is not a PinAuthErrorCode.
import { MockBackend, PinAuth, isPinAuthError } from "pinauth";

const auth = await PinAuth.create({ backend: MockBackend.create() });
try {
  await auth.loginWithPin("730519");
} catch (e) {
  if (isPinAuthError(e) && e.code === "WRONG_PIN") console.log(e.attemptsRemaining);
}
