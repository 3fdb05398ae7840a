// A TypeScript consumer of the packed package, compiled with `tsc --strict --noEmit`
// (scripts/js-tests.sh). It uses every method, getter, option and result type of the API,
// and pins the declared types exactly with type-level assertions: a declaration that
// drifts (a wider type, `any`, a lost union member) stops this file from compiling.
// It is never run.
import init, {
  MockBackend,
  PinAuth,
  isPinAuthError,
  type AuthState,
  type DeviceInfo,
  type MailMessage,
  type MockBackendOptions,
  type PinAuthBackend,
  type PinAuthError,
  type PinAuthErrorCode,
  type PinAuthOptions,
  type PinAuthWarning,
  type PinCheck,
  type PinCheckReason,
  type PromptOptions,
  type PromptStrings,
  type ReauthToken,
  type ReauthValidation,
  type StorageChoice,
  type AccessTokenStorage,
  type User,
} from "pinauth";

// ---- type-level assertions ----
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type IsAny<T> = 0 extends 1 & T ? true : false;
function expectType<T extends true>(): void {}

expectType<Equals<AuthState, "signedOut" | "pinSetupRequired" | "pinRequired" | "signedIn">>();
expectType<Equals<StorageChoice, "local" | "session" | "memory">>();
expectType<Equals<AccessTokenStorage, "memory" | "session">>();
expectType<Equals<PinCheckReason, "TOO_SHORT" | "TOO_LONG" | "NOT_DIGITS" | "REPEATED" | "SEQUENCE" | "COMMON">>();
/** The codes the README documents; the declared union must contain them all. */
type DocumentedCode =
  | "INVALID_INPUT"
  | "CANCELLED"
  | "PROMPT_OPEN"
  | "WEAK_PIN"
  | "INVALID_CREDENTIALS"
  | "ACCOUNT_LOCKED"
  | "INVALID_PIN"
  | "DEVICE_LOCKED"
  | "RATE_LIMITED"
  | "SESSION_EXPIRED"
  | "SESSION_INVALID"
  | "NOT_SIGNED_IN"
  | "EMAIL_TAKEN"
  | "RESET_TOKEN_INVALID"
  | "TOKEN_EXPIRED"
  | "UNKNOWN_DEVICE"
  | "STORAGE_UNAVAILABLE"
  | "DEVICE_KEY_UNAVAILABLE"
  | "TRANSPORT_FAILED"
  | "PIN_AUTH_TOKEN_INVALID"
  | "ACCESS_TOKEN_INVALID"
  | "REAUTH_TOKEN_INVALID"
  | "CHALLENGE_INVALID"
  | "SIGNATURE_INVALID"
  | "SNAPSHOT_INVALID"
  | "RANDOM_UNAVAILABLE"
  | "INTERNAL";
expectType<Equals<Exclude<DocumentedCode, PinAuthErrorCode>, never>>();
// A union of literals, not `string` (nor `any`).
expectType<Equals<string extends PinAuthErrorCode ? true : false, false>>();
expectType<Equals<IsAny<PinAuthErrorCode>, false>>();
expectType<
  Equals<
    MockBackendOptions,
    {
      persistKey?: string;
      accessTokenTtlSeconds?: number;
      pinSessionTtlSeconds?: number;
      reauthTokenTtlSeconds?: number;
      maxPinAttempts?: number;
      maxPasswordAttempts?: number;
      passwordLockoutSeconds?: number;
    }
  >
>();
expectType<
  Equals<
    PinAuthOptions,
    {
      backend: PinAuthBackend;
      appId?: string;
      storage?: StorageChoice;
      accessTokenStorage?: AccessTokenStorage;
      pinLength?: number;
      accessTokenLeewaySeconds?: number;
    }
  >
>();
expectType<Equals<PinAuthBackend, { handle(requestJson: string): string | Promise<string> }>>();
expectType<Equals<MockBackend extends PinAuthBackend ? true : false, true>>();
expectType<Equals<User, { uid: string; email: string }>>();
expectType<Equals<MailMessage, { to: string; subject: string; resetToken: string; sentAt: number }>>();
expectType<Equals<ReauthValidation, { valid: boolean; uid?: string; deviceId?: string; expiresAt?: number }>>();
expectType<Equals<DeviceInfo, { deviceId: string; registeredAt: number; lastUsedAt: number; hasPin: boolean }>>();
expectType<Equals<ReauthToken, { token: string; expiresAt: number; expiresIn: number }>>();
expectType<Equals<PinCheck, { ok: boolean; reason?: PinCheckReason }>>();
expectType<Equals<PinAuthWarning, { code: string; message: string }>>();
expectType<Equals<PinAuthError["name"], "PinAuthError">>();
expectType<Equals<PinAuthError["code"], PinAuthErrorCode>>();
expectType<Equals<PinAuthError["attemptsRemaining"], number | undefined>>();
expectType<Equals<PinAuthError["retryAfterSeconds"], number | undefined>>();
expectType<Equals<PinAuthError["reason"], PinCheckReason | undefined>>();
expectType<
  Equals<
    PromptOptions,
    {
      mode?: "auto" | "reauth" | "change";
      title?: string;
      subtitle?: string;
      strings?: Partial<PromptStrings>;
      container?: HTMLElement;
    }
  >
>();
expectType<
  Equals<
    keyof PromptStrings,
    | "setupTitle"
    | "unlockTitle"
    | "reauthTitle"
    | "changeTitle"
    | "newPinStep"
    | "confirmStep"
    | "currentPinStep"
    | "unlockStep"
    | "reauthStep"
    | "pinLabel"
    | "keypadLabel"
    | "submit"
    | "cancel"
    | "delete"
    | "show"
    | "hide"
    | "checking"
    | "digitsEntered"
    | "incomplete"
    | "tooShort"
    | "mismatch"
    | "samePin"
    | "wrongPin"
    | "lastAttempt"
    | "rateLimited"
    | "unreachable"
    | "reasonRepeated"
    | "reasonSequence"
    | "reasonCommon"
    | "reasonNotDigits"
  >
>();
expectType<Equals<PromptStrings[keyof PromptStrings], string>>();

// Method and getter signatures.
expectType<Equals<typeof MockBackend.create, (options?: MockBackendOptions) => MockBackend>>();
expectType<Equals<MockBackend["outbox"], (email: string) => Promise<MailMessage[]>>>();
expectType<Equals<MockBackend["validateReauthToken"], (token: string) => Promise<ReauthValidation>>>();
expectType<Equals<MockBackend["devices"], (email: string) => Promise<DeviceInfo[]>>>();
expectType<Equals<MockBackend["handle"], (request: string) => Promise<string>>>();
expectType<Equals<MockBackend["clear"], () => Promise<void>>>();
expectType<Equals<typeof PinAuth.create, (options: PinAuthOptions) => Promise<PinAuth>>>();
expectType<Equals<PinAuth["state"], AuthState>>();
expectType<Equals<PinAuth["user"], User | null>>();
expectType<Equals<PinAuth["deviceId"], string>>();
expectType<Equals<PinAuth["onStateChange"], (listener: (state: AuthState) => void) => () => void>>();
expectType<Equals<PinAuth["onWarning"], (listener: (warning: PinAuthWarning) => void) => () => void>>();
expectType<Equals<PinAuth["register"], (email: string, password: string) => Promise<void>>>();
expectType<Equals<PinAuth["login"], (email: string, password: string) => Promise<AuthState>>>();
expectType<Equals<PinAuth["setPin"], (pin: string) => Promise<void>>>();
expectType<Equals<PinAuth["loginWithPin"], (pin: string) => Promise<void>>>();
expectType<Equals<PinAuth["reauthenticate"], (pin: string) => Promise<ReauthToken>>>();
expectType<Equals<PinAuth["changePin"], (oldPin: string, newPin: string) => Promise<void>>>();
expectType<Equals<PinAuth["forgotPin"], (email: string) => Promise<void>>>();
expectType<Equals<PinAuth["resetPin"], (resetToken: string, newPin: string) => Promise<void>>>();
expectType<Equals<PinAuth["logout"], () => Promise<void>>>();
expectType<Equals<PinAuth["forgetDevice"], () => Promise<void>>>();
expectType<Equals<PinAuth["getAccessToken"], () => Promise<string>>>();
expectType<Equals<PinAuth["checkPin"], (pin: string) => PinCheck>>();
// Overloads: `mode: "reauth"` resolves with the token, "auto"/"change" with nothing,
// and options of the full `PromptOptions` type with either.
expectType<
  Equals<
    PinAuth["promptPin"],
    {
      (options: PromptOptions & { mode: "reauth" }): Promise<ReauthToken>;
      (options?: PromptOptions & { mode?: "auto" | "change" }): Promise<void>;
      (options?: PromptOptions): Promise<ReauthToken | void>;
    }
  >
>();
expectType<Equals<PinAuth["free"], () => void>>();
expectType<Equals<typeof isPinAuthError, (e: unknown) => e is PinAuthError>>();
expectType<Equals<IsAny<Awaited<ReturnType<typeof init>>>, false>>();

// ---- an application using every part of the API ----
const initialized: unknown = await init();
void initialized;

const defaults: MockBackend = MockBackend.create();
defaults.free();
const backendOptions: MockBackendOptions = {
  persistKey: "consumer-backend",
  accessTokenTtlSeconds: 900,
  pinSessionTtlSeconds: 7 * 24 * 3600,
  reauthTokenTtlSeconds: 300,
  maxPinAttempts: 5,
  maxPasswordAttempts: 5,
  passwordLockoutSeconds: 900,
};
const backend = MockBackend.create(backendOptions);
const inline = MockBackend.create({ maxPinAttempts: 3 });
await inline.clear();

const storage: StorageChoice = "session";
const accessTokenStorage: AccessTokenStorage = "session";
const options: PinAuthOptions = { backend, appId: "consumer", storage, accessTokenStorage, pinLength: 6, accessTokenLeewaySeconds: 30 };
const auth: PinAuth = await PinAuth.create(options);
const minimal = await PinAuth.create({ backend });
minimal.free();
// Any object that answers a protocol request (JSON) with its response, e.g. a server.
const remote: PinAuthBackend = {
  async handle(requestJson: string): Promise<string> {
    const response = await fetch("/pinauth", { method: "POST", body: requestJson });
    return response.text();
  },
};
const viaServer = await PinAuth.create({ backend: remote, appId: "remote" });
viaServer.free();
const viaFunction = await PinAuth.create({ backend: { handle: (json: string) => backend.handle(json) } });
viaFunction.free();

const state: AuthState = auth.state;
const user: User | null = auth.user;
if (user !== null) {
  const uid: string = user.uid;
  const email: string = user.email;
  console.log(uid, email);
}
const deviceId: string = auth.deviceId;
console.log(state, deviceId);

const unsubscribe: () => void = auth.onStateChange((next: AuthState) => {
  switch (next) {
    case "signedOut":
    case "pinSetupRequired":
    case "pinRequired":
    case "signedIn":
      break;
    default: {
      const never: never = next;
      throw new Error(never);
    }
  }
});
unsubscribe();
const stopWarnings = auth.onWarning((warning: PinAuthWarning) => console.warn(warning.code, warning.message));
stopWarnings();

/** A UI message for an error: codes narrow the hints that come with them. */
function describeError(e: PinAuthError): string {
  switch (e.code) {
    case "INVALID_PIN":
      return `Wrong PIN, ${e.attemptsRemaining ?? 0} attempts left`;
    case "ACCOUNT_LOCKED":
    case "RATE_LIMITED":
      return `Try again in ${e.retryAfterSeconds ?? 0} s`;
    case "WEAK_PIN": {
      const reason: PinCheckReason | undefined = e.reason;
      return `Weak PIN: ${reason ?? "?"}`;
    }
    case "CANCELLED":
      return "";
    case "DEVICE_LOCKED":
    case "SESSION_EXPIRED":
    case "SESSION_INVALID":
      return "Sign in with your password again";
    default: {
      const code: PinAuthErrorCode = e.code;
      return `${code}: ${e.message}`;
    }
  }
}

try {
  await auth.register("ann@example.com", "correct horse battery");
  const after: AuthState = await auth.login("ann@example.com", "correct horse battery");
  if (after === "pinSetupRequired") {
    const check: PinCheck = auth.checkPin("730519");
    if (!check.ok) {
      const reason: PinCheckReason | undefined = check.reason;
      console.log(reason);
    }
    await auth.setPin("730519");
  } else {
    // Narrowed: login resolves to an AuthState, and here it is not "pinSetupRequired".
    const other: "signedOut" | "pinRequired" | "signedIn" = after;
    console.log(other);
  }
  await auth.loginWithPin("730519");
  const reauth: ReauthToken = await auth.reauthenticate("730519");
  const token: string = reauth.token;
  const expiresAt: number = reauth.expiresAt;
  const expiresIn: number = reauth.expiresIn;
  const validation: ReauthValidation = await backend.validateReauthToken(token);
  if (validation.valid) {
    const who: string | undefined = validation.uid;
    const where: string | undefined = validation.deviceId;
    const until: number | undefined = validation.expiresAt;
    console.log(who, where, until, expiresAt, expiresIn);
  }
  await auth.changePin("730519", "482916");
  await auth.forgotPin("ann@example.com");
  const mail: MailMessage[] = await backend.outbox("ann@example.com");
  for (const { to, subject, resetToken, sentAt } of mail) {
    console.log(to, subject, sentAt);
    await auth.resetPin(resetToken, "591730");
  }
  const devices: DeviceInfo[] = await backend.devices("ann@example.com");
  for (const d of devices) {
    const id: string = d.deviceId;
    const times: [number, number] = [d.registeredAt, d.lastUsedAt];
    const hasPin: boolean = d.hasPin;
    console.log(id, times, hasPin);
  }
  const accessToken: string = await auth.getAccessToken();
  const answer: string = await backend.handle(JSON.stringify({ accessToken }));
  console.log(answer);

  // The PIN prompt, in all its forms. Without a mode it runs setup or unlock (by state)
  // and resolves with nothing; "change" likewise; "reauth" resolves with the token.
  const strings: Partial<PromptStrings> = {
    unlockTitle: "PIN eingeben",
    wrongPin: "Falsche PIN. Noch {attempts} Versuche.",
    cancel: "Abbrechen",
  };
  const container: HTMLElement = document.createElement("div");
  const common = { title: "Welcome back", subtitle: "Unlock this device", strings, container } satisfies PromptOptions;
  const unlocked = auth.promptPin();
  expectType<Equals<typeof unlocked, Promise<void>>>();
  await unlocked;
  const asAuto: void = await auth.promptPin({ ...common, mode: "auto" });
  const changed: void = await auth.promptPin({ mode: "change", strings: { changeTitle: "Neue PIN" } });
  await auth.promptPin(common);
  const stepUp = auth.promptPin({ mode: "reauth", title: "Confirm the payment" });
  expectType<Equals<typeof stepUp, Promise<ReauthToken>>>();
  const confirmed: ReauthToken = await stepUp;
  const stepUpFor: string = (await backend.validateReauthToken(confirmed.token)).uid ?? "";
  console.log(asAuto, changed, stepUpFor, (await auth.promptPin({ ...common, mode: "reauth" })).expiresAt);

  await auth.logout();
  await auth.forgetDevice();
} catch (e: unknown) {
  if (isPinAuthError(e)) {
    const code: PinAuthErrorCode = e.code;
    const attempts: number | undefined = e.attemptsRemaining;
    const retry: number | undefined = e.retryAfterSeconds;
    const asError: Error = e;
    console.error(code, attempts, retry, asError.message, describeError(e));
  } else {
    throw e;
  }
} finally {
  auth.free();
  backend.free();
}

// `using` disposes the objects (`[Symbol.dispose]` is declared).
{
  using scoped = MockBackend.create();
  await scoped.clear();
}
