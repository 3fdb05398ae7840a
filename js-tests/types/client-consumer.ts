// A TypeScript consumer of the client-only build (`pinauth/client`), compiled like
// consumer.ts: a page whose backend is its server, through an adapter that posts each
// request. The API is `pinauth`'s without `MockBackend`; the types it shares are the same.
// It is never run.
import init, {
  PinAuth,
  isPinAuthError,
  type AuthState,
  type PinAuthBackend,
  type PinAuthErrorCode,
  type PinAuthOptions,
  type ReauthToken,
} from "pinauth/client";
import type * as full from "pinauth";

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same: [
  Equals<PinAuthOptions, full.PinAuthOptions>,
  Equals<ReauthToken, full.ReauthToken>,
  Equals<PinAuthErrorCode, full.PinAuthErrorCode>,
] = [true, true, true];
void same;

const server: PinAuthBackend = {
  async handle(requestJson: string): Promise<string> {
    const response = await fetch("/auth", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: requestJson,
    });
    return response.text(); // error bodies included: they are answers
  },
};

export async function signIn(): Promise<ReauthToken> {
  await init();
  const auth = await PinAuth.create({ backend: server, appId: "shop" });
  const state: AuthState = auth.state;
  if (state === "signedOut") {
    const next: AuthState = await auth.login("ada@example.com", "correct horse battery");
    if (next === "pinSetupRequired") await auth.promptPin();
  } else if (state === "pinRequired") {
    await auth.promptPin();
  }
  try {
    return await auth.promptPin({ mode: "reauth" });
  } catch (e) {
    if (isPinAuthError(e) && e.code === "CANCELLED") return auth.reauthenticate("730519");
    throw e;
  } finally {
    auth.free();
  }
}
