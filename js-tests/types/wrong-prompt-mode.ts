// expect-error: TS2769 — "unlock" is not a promptPin mode (the state decides; modes are auto, reauth, change).
import { MockBackend, PinAuth } from "pinauth";

const auth = await PinAuth.create({ backend: MockBackend.create() });
await auth.promptPin({ mode: "unlock" });
