// expect-error: TS2339 — promptPin() without mode "reauth" resolves to nothing, not a token.
// expect-message: Property 'token' does not exist on type 'void'
import { MockBackend, PinAuth } from "pinauth";

const auth = await PinAuth.create({ backend: MockBackend.create() });
const result = await auth.promptPin({ title: "Confirm the payment" });
console.log(result.token);
