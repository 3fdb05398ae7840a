// expect-error: TS2614 — the client-only build has no MockBackend.
// expect-message: has no exported member 'MockBackend'
import { MockBackend } from "pinauth/client";

void MockBackend;
