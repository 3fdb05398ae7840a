// expect-error: TS2353 — an option PinAuth.create does not know.
import { MockBackend, PinAuth } from "pinauth";

const auth = await PinAuth.create({ backend: MockBackend.create(), pinCode: "730519" });
console.log(auth.state);
