// expect-error: TS2673 — instances come from the static create methods.
import { MockBackend } from "pinauth";

const backend = new MockBackend();
void backend.clear();
