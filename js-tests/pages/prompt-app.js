// Page side of browser/prompt.test.mjs: a small app on a page served under the strict CSP
// (prompt.html?csp). It imports the installed package by path (no import map), puts a
// PinAuth client into the state a test asks for, and opens `auth.promptPin` from buttons,
// so the Node side can drive everything else with the keyboard alone.
import init, { MockBackend, PinAuth, isPinAuthError } from "/pinauth/pinauth.js";

await init();

const PASSWORD = "correct horse battery";
let counter = 0;
let backend = null;
/** How many of the next requests of the client fail (app.failRequests). */
let unreachable = 0;
let auth = null;
let email = null;
/** Another device of the same account (see `wrongPinsOnAnotherDevice`). */
let other = null;
let appId = null;

const stateText = document.getElementById("state");
const statusText = document.getElementById("status");

function describe(error) {
  return {
    isPinAuthError: isPinAuthError(error),
    code: error?.code,
    message: String(error?.message ?? error),
    attemptsRemaining: error?.attemptsRemaining,
  };
}

/** The outcome of a prompt's promise, as JSON. */
function outcomeOf(prompt) {
  return prompt.then(
    (value) => ({ kind: "resolved", value: value ?? null }),
    (error) => ({ kind: "rejected", error: describe(error) }),
  );
}

/** An outcome promise's outcome, or `{ kind: "pending" }` if it did not settle within `ms`. */
function within(outcome, ms) {
  const timeout = new Promise((ok) => setTimeout(() => ok({ kind: "pending" }), ms));
  return Promise.race([outcome, timeout]);
}

/** The outcome of a prompt's promise, or `{ kind: "pending" }` if it did not settle within `ms`. */
function settledWithin(prompt, ms) {
  return within(outcomeOf(prompt), ms);
}

function show(state) {
  stateText.textContent = state;
}

const app = {
  /** The last prompt: its promise (of a JSON outcome) and, once settled, the outcome. */
  settled: null,
  outcome: null,
  /** Options of the next promptPin call (besides its mode), e.g. { strings }. */
  extraOptions: {},

  /**
   * A fresh account and device in `state`: pinSetupRequired, pinRequired or signedIn;
   * `pinLength` is the client's, `accessTokenTtlSeconds` the backend's; with
   * `backendDelayMs`, every request of the client waits that long first.
   */
  async prepare(state, { pin = "730519", maxPinAttempts, pinLength, accessTokenTtlSeconds, backendDelayMs } = {}) {
    auth?.free();
    other?.free();
    other = null;
    backend?.free();
    backend = MockBackend.create({ maxPinAttempts, accessTokenTtlSeconds });
    unreachable = 0;
    appId = `prompt-${Date.now()}-${++counter}`;
    email = `prompt-${Date.now()}-${counter}@example.com`;
    const server = backend;
    // An adapter that fails the next `unreachable` requests as a network would.
    const reachable = (handle) => ({
      handle: (json) => (unreachable-- > 0 ? Promise.reject(new TypeError("Failed to fetch")) : handle(json)),
    });
    const slowOrNot = backendDelayMs
      ? (json) => new Promise((ok) => setTimeout(ok, backendDelayMs)).then(() => server.handle(json))
      : (json) => server.handle(json);
    auth = await PinAuth.create({ backend: reachable(slowOrNot), appId, pinLength });
    await auth.register(email, PASSWORD);
    await auth.login(email, PASSWORD);
    if (state !== "pinSetupRequired") await auth.setPin(pin);
    if (state === "pinRequired") {
      // A later visit on the same device: a new client finds the PIN session.
      auth.free();
      auth = await PinAuth.create({ backend: reachable((json) => server.handle(json)), appId });
    }
    auth.onStateChange(show);
    show(auth.state);
    statusText.textContent = "";
    return auth.state;
  },

  /** Signs out through the API (not the prompt). */
  async logout() {
    await auth.logout();
    return auth.state;
  },

  /** Fails the next `count` requests of the client, as a network would. */
  failRequests(count) {
    unreachable = count;
  },

  /** Frees the client (as a page leaving the view that made it would). */
  freeClient() {
    auth.free();
    auth = null;
  },

  /** A later visit of the same device with other client options (e.g. `pinLength`). */
  async revisit(options) {
    auth.free();
    auth = await PinAuth.create({ backend, appId, ...options });
    auth.onStateChange(show);
    show(auth.state);
    return auth.state;
  },

  /**
   * The app's own modal: a native <dialog> opened with showModal(), whose button (focused)
   * opens the prompt to confirm.
   */
  openOwnModal() {
    const own = document.createElement("dialog");
    own.id = "own-modal";
    const confirm = document.createElement("button");
    confirm.type = "button";
    confirm.id = "confirm-in-modal";
    confirm.textContent = "Confirm transfer";
    confirm.addEventListener("click", () => app.open("reauth"));
    own.append(confirm);
    document.body.append(own);
    own.showModal();
    confirm.focus();
  },

  /** Opens the prompt (what the buttons do). */
  open(mode) {
    const options = mode === "auto" ? { ...app.extraOptions } : { ...app.extraOptions, mode };
    app.track(auth.promptPin(options));
  },

  /** Opens the prompt of a second client of this device that nothing of the page keeps. */
  async openUnreferenced() {
    app.track((await PinAuth.create({ backend, appId })).promptPin());
  },

  /** Records the outcome of a prompt's promise. */
  track(prompt) {
    app.outcome = null;
    app.settled = outcomeOf(prompt);
    app.settled.then((outcome) => {
      app.outcome = outcome;
      statusText.textContent = outcome.kind === "resolved" ? "Done." : `Not done: ${outcome.error.code}`;
    });
  },

  /**
   * A double click: calls promptPin again while the prompt `open` opened is open. Resolves
   * with that second call's outcome, or "pending" if it did not settle within 2 s.
   */
  async openAgain(mode) {
    return settledWithin(auth.promptPin({ mode }), 2000);
  },

  /**
   * Page code that runs while `promptPin` opens: an option's getter that calls `promptPin`
   * again (its outcome is the one tracked), then, in a second call, a focus handler of the
   * page that frees the client as the dialog takes focus. Resolves with the outcomes of
   * the outer call and of the second one, and whether a dialog was left in the page.
   */
  async reentrantOpen() {
    const outer = auth.promptPin({
      get mode() {
        app.track(auth.promptPin({ mode: "reauth" }));
        return "reauth";
      },
    });
    const first = await settledWithin(outer, 2000);
    const dialogs = document.querySelectorAll("[data-pinauth-prompt]").length;
    document.querySelector("[data-pinauth-prompt]")?.remove();
    const inner = await within(app.settled, 2000);
    const freeing = () => {
      document.removeEventListener("focusin", freeing);
      auth.free();
    };
    document.addEventListener("focusin", freeing);
    const second = await settledWithin(auth.promptPin({ mode: "reauth" }), 2000);
    auth = null;
    return { first, dialogs, inner, second, left: document.querySelectorAll("[data-pinauth-prompt]").length };
  },

  /**
   * `free()` while the prompt is open, where the element focus goes back to frees the
   * client again from its focus handler. Resolves with the prompt's outcome.
   */
  async freeTwiceThroughFocus() {
    const opener = document.createElement("button");
    opener.textContent = "Opener";
    document.querySelector("main").append(opener);
    opener.focus();
    const freed = auth;
    opener.addEventListener("focus", () => freed.free());
    const prompt = outcomeOf(auth.promptPin({ mode: "reauth" }));
    auth.free();
    auth = null;
    const result = await prompt;
    // The module's own free runs after the current task.
    await new Promise((ok) => setTimeout(ok, 50));
    opener.remove();
    return result;
  },

  /** `n` wrong PINs (re-authentications) on another device of the same account; their codes. */
  async wrongPinsOnAnotherDevice(n, { pin = "730519", wrong = "264801" } = {}) {
    if (!other) {
      other = await PinAuth.create({ backend, appId: `other-${Date.now()}-${++counter}`, storage: "memory" });
      await other.login(email, PASSWORD);
      await other.setPin(pin);
    }
    const codes = [];
    for (let i = 0; i < n; i++) {
      codes.push(await other.reauthenticate(wrong).then(() => "resolved", (error) => error.code));
    }
    return codes;
  },

  get state() {
    return auth.state;
  },

  validateReauthToken(token) {
    return backend.validateReauthToken(token);
  },

  /** Re-authenticates through the API (not the prompt), e.g. to check a changed PIN. */
  async reauthenticate(pin) {
    try {
      await auth.reauthenticate(pin);
      return { kind: "resolved" };
    } catch (error) {
      return { kind: "rejected", error: describe(error) };
    }
  },
};

window.app = app;
for (const mode of ["auto", "reauth", "change"]) {
  document.getElementById(`open-${mode}`).addEventListener("click", () => app.open(mode));
}
document.documentElement.dataset.ready = "true";
