// expect-error: TS2345 — a PIN is a string (leading zeros matter).
import { MockBackend, PinAuth } from "pinauth";

const auth = await PinAuth.create({ backend: MockBackend.create() });
await auth.setPin(730519);
