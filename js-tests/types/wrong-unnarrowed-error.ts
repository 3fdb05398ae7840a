// expect-error: TS18046 — a caught value is unknown until isPinAuthError narrows it.
import { MockBackend, PinAuth } from "pinauth";

const auth = await PinAuth.create({ backend: MockBackend.create() });
try {
  await auth.loginWithPin("730519");
} catch (e) {
  console.log(e.code);
}
