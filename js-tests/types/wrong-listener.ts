// expect-error: TS2345 — a state listener receives an AuthState, not a number.
import { MockBackend, PinAuth } from "pinauth";

const auth = await PinAuth.create({ backend: MockBackend.create() });
auth.onStateChange((state: number) => console.log(state + 1));
