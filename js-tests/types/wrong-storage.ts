// expect-error: TS2322 — storage is "local" | "session" | "memory".
import { MockBackend, PinAuth } from "pinauth";

const auth = await PinAuth.create({ backend: MockBackend.create(), storage: "indexedDB" });
console.log(auth.state);
