// Pinpay: a small banking front end that shows every capability of pinauth, running on
// the SDK's in-page MockBackend (persisted in localStorage, so every tab shares it).
import init, { MockBackend, PinAuth, isPinAuthError } from "pinauth";
import type { AuthState, PinAuthError, PromptOptions, ReauthToken } from "pinauth";
import { byId, h, mount } from "./dom";
import { toast } from "./toasts";
import { PERSIST_KEY, currentDevice, demoKeys, lastEmail, loadLifetimes, type Lifetimes } from "./settings";
import { Inspector } from "./inspector";
import { Views } from "./views";
import { Bank } from "./bank";

/** What the app needs from the outside: the SDK objects and this tab's device. */
export interface Ctx {
  backend: MockBackend;
  auth: PinAuth;
  appId: string;
  deviceName: string | null;
  lifetimes: Lifetimes;
}

export type Route = { name: "home" } | { name: "forgot" } | { name: "reset"; token: string };

type PromptKind = "setup" | "unlock" | "reauth" | "change";

const FLASH_KEY = "pinauth-demo:flash";
const NAMES_KEY = "pinauth-demo:device-names";

/** The application: state, routing, prompts, and the glue between the views. */
export class App {
  state: AuthState;
  /** When this page last got an access token (it is opaque: the time is ours). */
  accessIssuedAt: number | null = null;
  readonly stateLog: { state: AuthState; at: number }[] = [];
  /** A message for the next signed-out or locked view (why the user is here). */
  notice: { kind: "info" | "warning" | "error"; text: string } | null = null;
  /** The user chose the password over the PIN on the locked screen. */
  usePassword = false;
  promptKind: PromptKind | null = null;
  /** Set while a flow of ours changes the state, so no prompt opens in between. */
  private quiet = 0;
  private expectSignOut = false;
  /** The PIN session expiry last seen in storage, to explain a sign-out. */
  lastSessionExpiry: number | null = null;
  readonly inspector: Inspector;
  readonly views: Views;
  readonly bank: Bank;

  constructor(readonly ctx: Ctx) {
    this.state = ctx.auth.state;
    this.stateLog.push({ state: this.state, at: Date.now() });
    this.inspector = new Inspector(this);
    this.views = new Views(this);
    this.bank = new Bank(this);
  }

  get auth(): PinAuth {
    return this.ctx.auth;
  }
  get backend(): MockBackend {
    return this.ctx.backend;
  }

  start(): void {
    const { auth } = this.ctx;
    auth.onWarning((warning) => toast("warning", `Warning: ${warning.code}`, warning.message));
    auth.onStateChange((next) => queueMicrotask(() => this.onState(next)));
    this.rememberDeviceName();
    window.addEventListener("hashchange", () => this.render());
    window.addEventListener("storage", (event) => {
      // Another tab changed the shared backend: devices, inbox, revocations.
      if (event.key === PERSIST_KEY || event.key === null) this.refreshData();
    });
    setInterval(() => this.tick(), 500);
    const flash = sessionStorage.getItem(FLASH_KEY);
    if (flash) {
      sessionStorage.removeItem(FLASH_KEY);
      toast("info", flash);
    }
    byId("main").removeAttribute("aria-busy");
    this.render();
    this.tick();
    this.checkRevoked();
    this.autoPrompt();
  }

  /** Shows `text` as a toast after the next reload. */
  flashAfterReload(text: string): void {
    sessionStorage.setItem(FLASH_KEY, text);
  }

  route(): Route {
    const hash = location.hash.replace(/^#\/?/, "");
    const [path, query] = hash.split("?");
    if (path === "forgot") return { name: "forgot" };
    if (path === "reset") {
      const token = new URLSearchParams(query ?? "").get("token") ?? "";
      return { name: "reset", token };
    }
    return { name: "home" };
  }

  go(hash: string): void {
    if (location.hash === hash || (hash === "" && location.hash === "")) this.render();
    else if (hash === "") {
      // Leaving a reset link replaces it: its token must not stay in the history.
      const url = location.pathname + location.search;
      if (this.route().name === "reset") history.replaceState(null, "", url);
      else history.pushState(null, "", url);
      this.render();
    } else location.hash = hash;
  }

  render(): void {
    this.views.renderTopbar();
    this.views.renderMain();
    this.inspector.render();
  }

  /** Re-reads what other tabs may have changed in the backend. */
  refreshData(): void {
    this.views.refreshData();
    this.inspector.renderInbox();
    this.checkRevoked();
  }

  tick(): void {
    this.lastSessionExpiry = this.inspector.pinSessionExpiry() ?? this.lastSessionExpiry;
    this.inspector.tick();
    this.views.tick();
  }

  // ---- state ----

  private onState(next: AuthState): void {
    const previous = this.state;
    if (next === previous) return;
    this.state = next;
    this.stateLog.unshift({ state: next, at: Date.now() });
    this.stateLog.length = Math.min(this.stateLog.length, 12);
    // A password sign-in brings an access token in both pinSetupRequired and signedIn;
    // setting the PIN keeps it.
    if (next === "pinSetupRequired" || (next === "signedIn" && previous !== "pinSetupRequired")) {
      this.accessIssuedAt = Date.now();
    } else if (next !== "signedIn") {
      this.accessIssuedAt = null;
    }
    if (next === "signedIn") {
      this.usePassword = false;
      this.notice = null;
    }
    // A prompt that no longer fits the state is closed.
    const fits: Record<PromptKind, AuthState[]> = {
      setup: ["pinSetupRequired", "signedIn"],
      unlock: ["pinRequired", "signedIn"],
      reauth: ["signedIn"],
      change: ["signedIn"],
    };
    if (this.promptKind && !fits[this.promptKind].includes(next)) cancelOpenPrompt();

    if (next === "signedOut" && !this.expectSignOut && !this.notice) {
      const expired = this.lastSessionExpiry !== null && Date.now() >= this.lastSessionExpiry - 1000;
      this.notice = expired
        ? {
            kind: "info",
            text: "Your PIN session on this device ended. Sign in with your password to start a new one.",
          }
        : {
            kind: "info",
            text: "You were signed out, in another tab or because this device's session was ended.",
          };
    }
    if (next === "signedOut") {
      this.expectSignOut = false;
      this.lastSessionExpiry = null;
    }
    if (next === "pinRequired" && previous === "signedIn" && this.quiet === 0) {
      toast("info", "Locked", "The access token expired. Your PIN unlocks Pinpay again.");
    }
    this.render();
    this.autoPrompt();
  }

  /** Runs `flow` without automatic prompts in between (it changes the state itself). */
  async quietly<T>(flow: () => Promise<T>): Promise<T> {
    this.quiet += 1;
    try {
      return await flow();
    } finally {
      // State listeners run in microtasks: let them see the flag first.
      await Promise.resolve();
      this.quiet -= 1;
    }
  }

  /** Opens the prompt the state calls for, on the home route. */
  autoPrompt(): void {
    setTimeout(() => {
      if (this.quiet > 0 || this.promptKind || this.route().name !== "home" || this.usePassword) return;
      const state = this.auth.state;
      if (state === "pinSetupRequired") void this.prompt("setup");
      else if (state === "pinRequired") void this.prompt("unlock");
    }, 0);
  }

  /**
   * Opens the PIN prompt; resolves with the re-auth token for "reauth", true when another
   * flow completed, and null when it was cancelled or failed (the error is shown).
   */
  async prompt(kind: "reauth", options?: PromptOptions): Promise<ReauthToken | null>;
  async prompt(kind: Exclude<PromptKind, "reauth">, options?: PromptOptions): Promise<true | null>;
  async prompt(kind: PromptKind, options: PromptOptions = {}): Promise<unknown> {
    if (this.promptKind) return null;
    this.promptKind = kind;
    try {
      if (kind === "reauth") return await this.auth.promptPin({ ...options, mode: "reauth" });
      if (kind === "change") await this.auth.promptPin({ ...options, mode: "change" });
      else await this.auth.promptPin({ ...options, mode: "auto" });
      if (kind === "setup") toast("success", "PIN created", "This device now unlocks with your PIN.");
      if (kind === "change") toast("success", "PIN changed", "Use your new PIN on this device from now on.");
      return true;
    } catch (error) {
      this.explain(error);
      return null;
    } finally {
      this.promptKind = null;
    }
  }

  /** Shows what an SDK error means; lockouts and ended sessions go to the sign-in view. */
  explain(error: unknown): void {
    if (!isPinAuthError(error)) {
      console.error(error);
      toast("error", "Something went wrong", String(error));
      return;
    }
    if (error.code === "CANCELLED") return;
    const text = errorText(error);
    if (["DEVICE_LOCKED", "SESSION_EXPIRED", "SESSION_INVALID", "UNKNOWN_DEVICE"].includes(error.code)) {
      this.notice = { kind: error.code === "DEVICE_LOCKED" ? "error" : "warning", text };
      // The state may have changed already (the listener runs first): no stale flag then.
      this.expectSignOut = this.state !== "signedOut";
      this.render();
    } else {
      toast("error", text);
    }
  }

  // ---- actions ----

  async signOut(): Promise<void> {
    this.expectSignOut = true;
    this.notice = null;
    this.usePassword = false;
    await this.auth.logout();
    toast("success", "Signed out", "Other tabs of Pinpay follow.");
    this.go("");
  }

  async forgetDevice(): Promise<void> {
    const before = this.auth.deviceId;
    this.expectSignOut = true;
    try {
      await this.quietly(() => this.auth.forgetDevice());
    } catch (e) {
      this.expectSignOut = false;
      this.explain(e);
      return;
    }
    this.expectSignOut = this.auth.state === "signedOut" && this.state !== "signedOut";
    this.rememberDeviceName(before);
    this.notice = {
      kind: "info",
      text: "This device was forgotten: it has a new identity, and the account will ask it for a new PIN after you sign in.",
    };
    toast("success", "Device forgotten", `New device id ${this.auth.deviceId.slice(0, 8)}…`);
    this.render();
  }

  /** Revokes another device of the account through the wire protocol (no JS method for it). */
  async revokeDevice(deviceId: string): Promise<void> {
    try {
      const accessToken = await this.auth.getAccessToken();
      const reply = JSON.parse(
        await this.backend.handle(JSON.stringify({ endpoint: "revokeDevice", accessToken, deviceId })),
      ) as { ok?: unknown; error?: { code: string; message: string } };
      if (reply.error)
        toast("error", "Could not revoke the device", `${reply.error.code}: ${reply.error.message}`);
      else toast("success", "Device revoked", "Its PIN, key and sessions are gone from the account.");
    } catch (error) {
      this.explain(error);
    }
    this.refreshData();
  }

  /** Wipes the backend and every demo and SDK key of this origin, then reloads. */
  async resetDemo(): Promise<void> {
    await this.backend.clear();
    // The backend's own key now holds the empty state, at the latest revision.
    for (const key of demoKeys()) if (key !== PERSIST_KEY) localStorage.removeItem(key);
    this.flashAfterReload("Demo data reset: no accounts, standard lifetimes.");
    location.reload();
  }

  /**
   * This device was revoked from another device while this tab holds a session: the SDK
   * learns it only at its next backend call, so the demo checks the backend's device
   * list and signs out at once.
   */
  private async checkRevoked(): Promise<void> {
    const email = this.auth.user?.email;
    if (!email || (this.state !== "signedIn" && this.state !== "pinRequired")) return;
    let known = true;
    try {
      known = (await this.backend.devices(email)).some((d) => d.deviceId === this.auth.deviceId);
    } catch {
      return;
    }
    if (!known) {
      this.notice = {
        kind: "warning",
        text: "This device was revoked from another device. Sign in again to use it.",
      };
      this.expectSignOut = true;
      void this.auth.logout();
    }
  }

  // ---- device names (the backend knows ids only) ----

  deviceNames(): Record<string, string> {
    try {
      const names: unknown = JSON.parse(localStorage.getItem(NAMES_KEY) ?? "{}");
      return names && typeof names === "object" ? (names as Record<string, string>) : {};
    } catch {
      return {};
    }
  }

  private rememberDeviceName(forgotten?: string): void {
    const names = this.deviceNames();
    if (forgotten) delete names[forgotten];
    names[this.auth.deviceId] = this.ctx.deviceName ? `Simulated ${this.ctx.deviceName}` : "Main browser";
    localStorage.setItem(NAMES_KEY, JSON.stringify(names));
  }

  inboxEmail(): string {
    return this.auth.user?.email ?? lastEmail();
  }
}

/** Presses Cancel in an open PIN prompt (the SDK has no call to close it). */
export function cancelOpenPrompt(): void {
  const host = document.querySelector("[data-pinauth-prompt]");
  const cancel = host?.shadowRoot?.querySelector<HTMLButtonElement>('[data-action="cancel"]');
  cancel?.click();
}

const REASONS: Record<string, string> = {
  TOO_SHORT: "Enter all 6 digits.",
  TOO_LONG: "Use 6 digits.",
  NOT_DIGITS: "Use digits only.",
  REPEATED: "Too easy to guess: repeated digits.",
  SEQUENCE: "Too easy to guess: a sequence.",
  COMMON: "Too easy to guess: a common PIN.",
};

export function reasonText(reason: string | undefined): string {
  return (reason && REASONS[reason]) || "Choose another PIN.";
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** A sentence for a person, per error code. */
export function errorText(error: PinAuthError): string {
  const wait = error.retryAfterSeconds;
  const later = wait
    ? ` Try again in ${wait >= 90 ? plural(Math.ceil(wait / 60), "minute") : plural(wait, "second")}.`
    : "";
  switch (error.code) {
    case "INVALID_CREDENTIALS":
      return "That email and password don't match an account.";
    case "ACCOUNT_LOCKED":
      return `Too many failed sign-ins: the account is locked for now.${later}`;
    case "EMAIL_TAKEN":
      return "An account with this email already exists. Sign in instead.";
    case "WEAK_PIN":
      return reasonText(error.reason);
    case "INVALID_PIN":
      return `Wrong PIN. ${plural(error.attemptsRemaining ?? 0, "attempt")} left.`;
    case "DEVICE_LOCKED":
      return "Too many wrong PINs: this device's PIN is turned off. Sign in with your password and choose a new PIN.";
    case "RATE_LIMITED":
      return `Too many wrong PINs on this account.${later}`;
    case "SESSION_EXPIRED":
      return "Your PIN session on this device expired. Sign in with your password.";
    case "SESSION_INVALID":
      return "Your PIN session on this device was ended. Sign in with your password.";
    case "UNKNOWN_DEVICE":
      return "This device was removed from your account. Sign in again to use it.";
    case "RESET_TOKEN_INVALID":
      return "This reset link was already used or is not valid. Ask for a new one.";
    case "TOKEN_EXPIRED":
      return "This link has expired. Ask for a new one.";
    case "NOT_SIGNED_IN":
      return "You need to be signed in for that.";
    case "INVALID_INPUT":
      return capitalize(error.message.replace(/\.$/, "")) + ".";
    default:
      return `${error.message} (${error.code})`;
  }
}

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

function fatal(error: unknown): void {
  console.error(error);
  mount(
    byId("main"),
    h(
      "div",
      { class: "card notice notice-error", role: "alert" },
      h("h1", null, "Pinpay could not start"),
      h("p", null, String(error instanceof Error ? error.message : error)),
    ),
  );
}

async function main(): Promise<void> {
  await init();
  const device = currentDevice();
  const lifetimes = loadLifetimes();
  const backend = MockBackend.create({ persistKey: PERSIST_KEY, ...lifetimes });
  const auth = await PinAuth.create({ backend, appId: device.appId });
  const app = new App({ backend, auth, appId: device.appId, deviceName: device.name, lifetimes });
  app.start();
  // For poking around in the console: a demo only. A real app does not hand its client
  // (and so its access token) to every script of the page.
  Object.assign(window, { pinpay: { app, auth, backend } });
}

main().catch(fatal);
