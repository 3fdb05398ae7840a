// expect-error: TS2322 — checkPin's reason is a PinCheckReason or undefined.
import { MockBackend, PinAuth } from "pinauth";

const auth = await PinAuth.create({ backend: MockBackend.create() });
const reason: "TOO_EASY" | undefined = auth.checkPin("123456").reason;
console.log(reason);
