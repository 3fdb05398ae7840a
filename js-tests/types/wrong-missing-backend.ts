// expect-error: TS2345 — PinAuth.create needs a backend.
// expect-message: Property 'backend' is missing
import { PinAuth } from "pinauth";

const auth = await PinAuth.create({ appId: "no-backend" });
console.log(auth.state);
