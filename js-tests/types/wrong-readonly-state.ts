// expect-error: TS2540 — the state is read-only.
import { MockBackend, PinAuth } from "pinauth";

const auth = await PinAuth.create({ backend: MockBackend.create() });
auth.state = "signedIn";
