// expect-error: TS18047 — user is null when signed out.
import { MockBackend, PinAuth } from "pinauth";

const auth = await PinAuth.create({ backend: MockBackend.create() });
console.log(auth.user.email);
