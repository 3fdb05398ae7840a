// expect-error: TS2322 — reauthenticate resolves to { token, expiresAt, expiresIn }, not a string.
import { MockBackend, PinAuth } from "pinauth";

const auth = await PinAuth.create({ backend: MockBackend.create() });
const token: string = await auth.reauthenticate("730519");
console.log(token);
