// expect-error: TS2322 — login resolves to any AuthState, not only "signedIn".
import init, { MockBackend, PinAuth } from "pinauth";

await init();
const auth = await PinAuth.create({ backend: MockBackend.create() });
const s: "signedIn" = await auth.login("ann@example.com", "correct horse battery");
console.log(s);
