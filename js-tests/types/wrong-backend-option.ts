// expect-error: TS2322 — a backend option of the wrong type.
import { MockBackend } from "pinauth";

const backend = MockBackend.create({ maxPinAttempts: "5" });
void backend.clear();
