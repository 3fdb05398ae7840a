// The in-page PIN prompt: `PinAuth.prototype.promptPin` (attached by the glue's appendix,
// scripts/glue-guards.js) and its dialog in an open Shadow DOM root, with its keyboard
// handling and steps. The module decides which flow opens and reads the options
// (`__promptConfig`, src/web/prompt.rs); what a PIN is checked against (the policy, the
// PIN itself, the state) stays in the `PinAuth` calls the flow makes. Written in
// JavaScript because building and wiring a DOM, and a flow of promises, cost the wasm
// module far more; js-tests/browser/prompt.test.mjs asserts the behaviour.
//
// It works under a strict Content-Security-Policy (no inline styles, no `eval`: the
// styles are a constructable stylesheet adopted by the shadow root), is operable by
// keyboard alone, announces its steps and errors through live regions, traps focus while
// open and gives it back when closed, and keeps the keys typed into it from the page. The
// PIN lives in the input element only while it is typed (emptied when it is sent); the
// dialog is removed from the DOM when it closes.

const STYLES = `
/* The page's own rules reach the host element (a rule of the page beats a :host rule
   unless the :host rule is important), so none of them applies to it: not the page's
   font size or text transform, a zoom set on it, nor a display: none from a rule like
   :empty. (Custom properties, the --pinauth-* theme, are not reset by all.) */
:host { all: initial !important; zoom: 1 !important; }
/* A native <dialog> covering the viewport, opened as modal: above the page's own modal
   dialogs, with the page behind it inert. */
.backdrop {
  box-sizing: border-box; width: 100%; height: 100%; max-width: none; max-height: none;
  margin: 0; padding: 0; border: 0;
  --accent: var(--pinauth-accent, #2f5bea);
  --bg: var(--pinauth-bg, #ffffff);
  --fg: var(--pinauth-fg, #17191f);
  --radius: var(--pinauth-radius, 14px);
  --muted: color-mix(in srgb, var(--fg) 62%, var(--bg));
  --line: color-mix(in srgb, var(--fg) 18%, var(--bg));
  /* The PIN cells are the field's only outline: 3:1 against the background at least. */
  --edge: color-mix(in srgb, var(--fg) 50%, var(--bg));
  --danger: var(--pinauth-danger, #c62828);
  --on-accent: var(--pinauth-on-accent, var(--bg));
  position: fixed; inset: 0; z-index: 2147483000;
  display: flex; align-items: center; justify-content: center;
  /* Sizes in em from here: they follow the reader's text size, not the page's root. */
  font-size: medium; line-height: normal; -webkit-text-size-adjust: 100%; text-size-adjust: 100%;
  background: rgb(10 12 20 / 0.55);
  font-family: var(--pinauth-font, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  color: var(--fg);
}
.backdrop::backdrop { background: transparent; }
@media (prefers-color-scheme: dark) {
  .backdrop {
    --bg: var(--pinauth-bg, #1b1e27);
    --fg: var(--pinauth-fg, #eef0f6);
    --accent: var(--pinauth-accent, #7f9cff);
    --danger: var(--pinauth-danger, #ff8a80);
  }
}
.dialog:focus { outline: none; }
.dialog {
  box-sizing: border-box; width: min(92vw, 360px); max-height: 96vh; max-height: 96dvh; overflow: auto;
  padding: 24px 22px 18px; border-radius: var(--radius);
  /* Invisible, except in forced colours, where the shadow is gone and this is the edge. */
  border: 2px solid transparent;
  background: var(--bg); color: var(--fg);
  box-shadow: 0 24px 60px rgb(0 0 0 / 0.35);
  display: flex; flex-direction: column; gap: 14px;
}
h2 { margin: 0; font-size: 1.25em; line-height: 1.3; font-weight: 650; text-align: center; }
.step { margin: 0; color: var(--muted); font-size: 0.95em; text-align: center; }
/* Digits and the keypad read left to right on a right-to-left page too. */
.entry-area { direction: ltr; position: relative; display: flex; justify-content: center; gap: 8px; border-radius: 10px; padding: 4px; }
.entry-area:focus-within { outline: 3px solid var(--accent); outline-offset: 2px; }
.cell {
  width: 1.8em; height: 2.15em; min-width: 0; border-radius: 10px; border: 2px solid var(--edge);
  display: flex; align-items: center; justify-content: center;
  font-size: 1.4em; font-weight: 600; box-sizing: border-box;
}
.cell.filled { border-color: var(--accent); }
.cell[hidden] { display: none; }
.entry {
  position: absolute; inset: 0; width: 100%; height: 100%; margin: 0; padding: 0;
  opacity: 0; border: 0; font-size: 16px; caret-color: transparent; cursor: text;
}
.message { min-height: 1.3em; margin: 0; text-align: center; font-size: 0.92em; color: var(--danger); }
/* In a dialog taller than the screen, it scrolls: no part is squeezed under the next. */
.dialog > * { flex-shrink: 0; }
.message.info { color: var(--muted); }
.keypad { direction: ltr; display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; }
button {
  font: inherit; color: inherit; cursor: pointer; border-radius: 10px;
  border: 1px solid var(--line); background: transparent; min-height: 48px;
  touch-action: manipulation; -webkit-tap-highlight-color: transparent;
}
button:active:not(:disabled) { background: var(--line); }
button:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
button:disabled { opacity: 0.5; cursor: default; }
.key { font-size: 1.3em; font-weight: 600; min-height: 52px; }
.key.action { font-size: 1em; }
.primary:active:not(:disabled) { background: var(--accent); filter: brightness(0.9); }
.primary { background: var(--accent); border-color: var(--accent); color: var(--on-accent); font-weight: 650; }
.actions { display: flex; gap: 8px; }
.actions button { flex: 1; }
.toggle { align-self: center; min-height: 44px; padding: 0 14px; font-size: 0.9em; }
.progress { display: flex; align-items: center; justify-content: center; gap: 8px; color: var(--muted); font-size: 0.92em; }
.progress[hidden] { display: none; }
.spinner { width: 16px; height: 16px; border-radius: 50%; border: 2px solid var(--line); border-top-color: var(--accent); animation: spin 0.8s linear infinite; }
@keyframes spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .spinner { animation: none; } }
/* Forced colours (Windows high contrast): the main button and the filled cells keep a
   heavier edge, and the spinner its moving part. */
@media (forced-colors: active) {
  .cell.filled, .primary { border-width: 3px; }
  .spinner { border-color: GrayText; border-top-color: Highlight; forced-color-adjust: none; }
}
/* A small screen: tighter, so that all of it fits. */
@media (max-height: 640px) {
  .dialog { gap: 8px; padding: 14px 16px; }
  .key { min-height: 44px; }
}
/* A phone held sideways: the keypad goes beside the PIN, so that all of it fits. Not
   below 480px wide (a page zoomed to 400%): two columns would not fit side by side, and
   one scrolls up and down only. */
@media (max-height: 480px) and (orientation: landscape) and (min-width: 480px) {
  .dialog { width: min(96vw, 640px); display: grid; grid-template-columns: 1fr 1fr; column-gap: 20px; row-gap: 6px; padding: 12px 16px; }
  .dialog > :not(.keypad) { grid-column: 1; }
  .keypad { grid-column: 2; grid-row: 1 / span 6; gap: 6px; }
  h2 { font-size: 1.1em; }
  .toggle { justify-self: center; }
}
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
`;

/** Each flow's steps: the current PIN, a new PIN (checked while typed), the new PIN again. */
const STEPS = {
  setup: ["new", "confirm"],
  unlock: ["current"],
  reauth: ["current"],
  change: ["current", "new", "confirm"],
};

/** The string of each PIN policy rejection (`PinRejection::code`). */
const REASONS = {
  NOT_DIGITS: "reasonNotDigits",
  REPEATED: "reasonRepeated",
  SEQUENCE: "reasonSequence",
  COMMON: "reasonCommon",
};

/** `template` with `{name}` replaced by `value` (digits, so no `$` patterns). */
const fill = (template, name, value) => template.replaceAll(`{${name}}`, String(value));

/**
 * Builds the dialog, mounts it in `config.container` (or `document.body`) and runs the
 * steps of `config.flow`. A new PIN has exactly `config.length` digits; the current PIN
 * any length from `config.minLength` to `config.maxLength` (it may have been set under
 * another length). `check(pin)` gives a complete new PIN's rejection code, or
 * undefined; `submit(pins, reply)` runs the flow's call with the entered PINs and calls
 * `reply()` when it settled the prompt, or `reply(message)` to start over with that
 * message (a wrong PIN). Returns `done`, resolved once the dialog closed, and `close()`,
 * which closes it, or while a PIN is being checked has it close with the answer (then
 * false).
 */
export function openPrompt(config, check, submit) {
  const { flow, length, minLength, maxLength, strings } = config;
  const steps = STEPS[flow];
  // Inside a component's shadow root, the document's active element is only its host.
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  const previousFocus = active instanceof HTMLElement ? active : null;

  const element = (tag, className, attributes = {}, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const button = (className, text, attributes = {}) =>
    element("button", className, { type: "button", ...attributes }, text);

  // A name of its own: the page's rules for `div` and the like do not match it.
  const host = element("pinauth-prompt", "", { "data-pinauth-prompt": "" });
  const root = host.attachShadow({ mode: "open" });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(STYLES);
  root.adoptedStyleSheets = [sheet];

  // Described by its step and message through the PIN field, which takes focus: on the
  // dialog too, they would be read twice.
  const backdrop = element("dialog", "backdrop", {
    role: "dialog",
    "aria-modal": "true",
    "aria-labelledby": "pinauth-title",
  });
  // The panel. Focusable, but not by Tab: a click on its blank parts keeps focus in it.
  const dialog = element("div", "dialog", { tabindex: "-1" });
  // The texts take their direction from their own words (`dir="auto"`): the English
  // defaults read left to right on a right-to-left page, its own strings right to left.
  const title = element("h2", "", { id: "pinauth-title", dir: "auto" });
  // A live region: the next step's instruction is read out, as focus stays on the field.
  const stepText = element("p", "step", { id: "pinauth-step", "aria-live": "polite", dir: "auto" });
  const area = element("div", "entry-area");
  const cells = [];
  for (let i = 0; i < maxLength; i++) cells.push(area.appendChild(element("span", "cell", { "aria-hidden": "true" })));
  const input = element("input", "entry", {
    type: "password",
    inputmode: "numeric",
    autocomplete: "off",
    // Password managers ignore `autocomplete` on a password field; these ask them (1Password,
    // LastPass, Bitwarden, Dashlane) not to offer to save or fill the PIN.
    "data-1p-ignore": "",
    "data-lpignore": "true",
    "data-bwignore": "",
    "data-form-type": "other",
    pattern: "[0-9]*",
    "aria-label": strings.pinLabel,
    "aria-describedby": "pinauth-step pinauth-message",
    spellcheck: "false",
  });
  area.append(input);
  // Its text says what it does ("Show PIN", "Hide PIN"): not also a pressed state, which
  // would read as "Hide PIN, pressed".
  const toggle = button("toggle", strings.show);
  const message = element("p", "message", { id: "pinauth-message", role: "alert", "aria-live": "assertive", dir: "auto" });
  const progress = element("div", "progress", { "aria-hidden": "true" });
  progress.hidden = true;
  progress.append(element("span", "spinner"), element("span", "", { dir: "auto" }, strings.checking));
  // What is heard of the progress and of the keypad's digits: a live region in place, and
  // empty, from the start (one that appears with its text is not reliably read out).
  const status = element("p", "visually-hidden", { role: "status", dir: "auto" });

  const keypad = element("div", "keypad", { role: "group", "aria-label": strings.keypadLabel });
  const buttons = [];
  for (const key of ["1", "2", "3", "4", "5", "6", "7", "8", "9"]) buttons.push(button("key", key, { "data-key": key }));
  buttons.push(
    button("key action", "⌫", { "aria-label": strings.delete, "data-key": "delete" }),
    button("key", "0", { "data-key": "0" }),
    button("key action", "✓", { "aria-label": strings.submit, "data-key": "submit" }),
  );
  keypad.append(...buttons);
  const actions = element("div", "actions");
  const cancelButton = button("cancel", strings.cancel, { "data-action": "cancel" });
  const submitButton = button("primary submit", strings.submit, { "data-action": "submit" });
  actions.append(cancelButton, submitButton);
  buttons.push(cancelButton, submitButton);

  dialog.append(title, stepText, area, toggle, message, progress, status, keypad, actions);
  backdrop.append(dialog);
  root.append(backdrop);
  (config.container ?? document.body).append(host);
  /** Whether the dialog could be opened as modal, once. */
  let modal = false;
  /** Opens the native dialog as modal (without it, it still covers the page, fixed). */
  const showModal = () => {
    try {
      backdrop.showModal();
      modal = true;
    } catch {
      backdrop.setAttribute("open", "");
    }
  };
  /** Whether it is modal now (a browser without `:modal` is taken at its word). */
  const stillModal = () => {
    try {
      return backdrop.matches(":modal");
    } catch {
      return true;
    }
  };
  showModal();

  let step = 0;
  /** PINs entered in earlier steps of this flow. */
  let entered = [];
  let busy = false;
  let masked = true;
  let closed = false;
  /** Set when asked to close while a PIN was checked: the answer closes the dialog. */
  let closing = false;
  let resolveDone;
  const done = new Promise((resolve) => (resolveDone = resolve));

  const ask = () => steps[step] ?? "current";
  /** The fewest and the most digits the current step takes. */
  const digitRange = () => (ask() === "current" ? [minLength, maxLength] : [length, length]);
  const limit = () => digitRange()[1];
  const say = (text, info) => {
    message.className = info ? "message info" : "message";
    message.textContent = text;
  };
  const reasonText = (code) =>
    code in REASONS ? strings[REASONS[code]] : fill(strings.incomplete, "length", length);
  /** Every control that takes focus, in tab order. */
  const focusable = () => [input, toggle, ...buttons.filter((b) => !b.disabled)];

  /** Shows the typed digits (as bullets unless "Show PIN") in `length` cells, or more
   * while a longer current PIN is typed; once the PIN is `sent`, a bullet in every cell. */
  const renderCells = (sent = false) => {
    const value = input.value;
    cells.forEach((cell, i) => {
      cell.hidden = i >= Math.max(length, value.length);
      const shown = cell.hidden ? "" : sent ? "•" : i < value.length ? (masked ? "•" : value[i]) : "";
      cell.className = shown ? "cell filled" : "cell";
      cell.textContent = shown;
    });
  };

  /** Shows the current step: title, instruction, empty cells. */
  const renderStep = () => {
    const titles = { setup: strings.setupTitle, unlock: strings.unlockTitle, reauth: strings.reauthTitle, change: strings.changeTitle };
    const instructions = {
      current: strings.currentPinStep,
      new: fill(strings.newPinStep, "length", length),
      confirm: strings.confirmStep,
    };
    title.textContent = config.title ?? titles[flow];
    stepText.textContent =
      step === 0 && config.subtitle != null
        ? config.subtitle
        : flow === "unlock"
          ? strings.unlockStep
          : flow === "reauth"
            ? strings.reauthStep
            : instructions[ask()];
    input.value = "";
    input.maxLength = limit();
    status.textContent = "";
    renderCells();
    input.focus();
  };

  /** Why a complete new PIN is refused (the policy, or, when changing, the current PIN
   * again), or undefined. */
  const newPinProblem = (digits) => {
    const rejection = check(digits);
    if (rejection !== undefined) return reasonText(rejection);
    return flow === "change" && digits === entered[0] ? strings.samePin : undefined;
  };

  /** While a new PIN is typed: says why it is refused as soon as it is complete, and
   * clears that as soon as it is edited. */
  const liveCheck = (digits) => {
    if (ask() !== "new") return;
    const problem = digits.length === length ? newPinProblem(digits) : undefined;
    if (problem === undefined) say("", true);
    else say(problem, false);
  };

  /** Keeps the input to the step's digits (typing, paste), then re-checks it; says
   * "digits only" when something else was typed. */
  const onInput = () => {
    const raw = input.value;
    const digits = raw.replace(/[^0-9]/g, "").slice(0, limit());
    if (digits !== raw) input.value = digits;
    renderCells();
    liveCheck(digits);
    if (!/^[0-9]*$/.test(raw)) say(strings.reasonNotDigits, false);
  };

  const setBusy = (value) => {
    busy = value;
    input.readOnly = value;
    progress.hidden = !value;
    status.textContent = value ? strings.checking : "";
    // On the entry only: a busy region holds back the announcements inside it, and the
    // progress ("Checking…") and the message are to be heard.
    area.setAttribute("aria-busy", value ? "true" : "false");
    // Cancel too: once a PIN is sent, its answer decides the outcome (a cancel then could
    // hide a PIN that was set or a token that was issued).
    for (const b of buttons) b.disabled = value;
    // Focus on the PIN field, also when the focused button was just disabled: it stays in
    // the dialog, on a control that is seen and named (the field is read-only meanwhile).
    input.focus();
  };

  /** Removes the dialog, gives focus back and resolves `done`. */
  const finish = () => {
    closed = true;
    entered = [];
    input.value = "";
    host.remove();
    previousFocus?.focus();
    resolveDone();
  };

  /** Restarts the flow at its first step with a message (after a wrong PIN, say). */
  const restart = (text) => {
    setBusy(false);
    entered = [];
    step = 0;
    renderStep();
    say(text, false);
  };

  /** Takes the entered digits for the current step. Returns the PINs for the call when
   * this was the last step, or undefined when the dialog stays on a step. */
  const advance = () => {
    const digits = input.value;
    const asked = ask();
    const [fewest, most] = digitRange();
    if (digits.length < fewest || digits.length > most) {
      say(asked === "current" ? fill(strings.tooShort, "length", fewest) : fill(strings.incomplete, "length", length), false);
      return undefined;
    }
    const problem = asked === "new" ? newPinProblem(digits) : undefined;
    if (problem !== undefined) {
      input.value = "";
      renderCells();
      say(problem, false);
      return undefined;
    }
    if (asked === "confirm" && entered[entered.length - 1] !== digits) {
      step = steps.indexOf("new");
      entered.length = step;
      renderStep();
      say(strings.mismatch, false);
      return undefined;
    }
    if (asked !== "confirm") entered.push(digits);
    step += 1;
    if (step < steps.length) {
      renderStep();
      return undefined;
    }
    // While it is checked the PIN is no longer in the page: the input is emptied and the
    // cells show bullets only, whatever "Show PIN" says.
    input.value = "";
    renderCells(true);
    setBusy(true);
    const pins = entered;
    entered = [];
    return pins;
  };

  const submitStep = () => {
    if (busy || closed) return;
    const pins = advance();
    if (!pins) return;
    submit(pins, (retry) => {
      if (closed) return;
      // Asked to close, or taken out of the page, while the PIN was checked: no retry.
      if (retry === undefined || closing || !host.isConnected) finish();
      else restart(retry);
    });
    pins.length = 0;
  };

  const press = (key) => {
    if (key === "submit") return submitStep();
    if (busy || closed) return;
    const value = input.value;
    if (key === "delete") input.value = value.slice(0, -1);
    else if (value.length < limit()) input.value = value + key;
    // Focus stays on the key pressed: the next digit is one key away, and a phone does not
    // raise its own keyboard over the keypad.
    onInput();
  };

  /** Closes the dialog, unless a PIN is being checked: its answer decides. */
  const cancel = () => {
    if (busy || closed) return false;
    finish();
    return true;
  };

  input.addEventListener("input", () => closed || onInput());
  input.addEventListener("paste", (event) => {
    if (!(event instanceof ClipboardEvent)) return;
    // Only the digits: spaces or dashes in a pasted PIN are no typing mistake.
    const pasted = (event.clipboardData?.getData("text") ?? "").replace(/[^0-9]/g, "");
    event.preventDefault();
    if (!busy && !closed) {
      input.value = pasted;
      onInput();
    }
  });
  // Digits and Backspace edit the PIN (wherever focus is in the dialog), Enter in the PIN
  // field submits, Escape cancels, Tab and Shift+Tab cycle inside the dialog.
  // The keys typed into the dialog are not the page's: its shortcuts and its own Escape
  // handlers (which would see the dialog's host as the target, not a field) do not get them.
  for (const type of ["keyup", "keypress"]) backdrop.addEventListener(type, (event) => event.stopPropagation());
  backdrop.addEventListener("keydown", (event) => {
    event.stopPropagation();
    if (closed) return;
    const key = event.key;
    const modified = event.ctrlKey || event.metaKey || event.altKey;
    if (!modified && (/^[0-9]$/.test(key) || key === "Backspace")) {
      // Typed, not pressed on the keypad: the field takes focus, so that Enter sends the
      // PIN rather than pressing a focused key again.
      event.preventDefault();
      press(key === "Backspace" ? "delete" : key);
      if (!busy) input.focus();
    } else if (key === "Escape") {
      event.preventDefault();
      cancel();
    } else if (key === "Tab") {
      const controls = focusable();
      const current = root.activeElement;
      // From outside the controls (e.g. the dialog itself, focused while busy) Tab goes to
      // the first control and Shift+Tab to the last.
      const elsewhere = !controls.includes(current);
      const first = controls[0];
      const last = controls[controls.length - 1];
      const target = event.shiftKey
        ? (current === first || elsewhere) && last
        : (current === last || elsewhere) && first;
      if (target) {
        event.preventDefault();
        target.focus();
      }
    } else if (key === "Enter" && event.target instanceof HTMLInputElement) {
      event.preventDefault();
      submitStep();
    }
  });
  // The browser's own close requests (Escape is handled above; Android's back gesture) are
  // a cancel, and a close it would not let the page refuse reopens the dialog while a PIN
  // is checked.
  backdrop.addEventListener("cancel", (event) => {
    event.preventDefault();
    cancel();
  });
  backdrop.addEventListener("close", () => closed || cancel() || showModal());
  // Pressing the backdrop does not take focus out of the dialog.
  backdrop.addEventListener("mousedown", (event) => event.target === backdrop && event.preventDefault());
  // iOS Safari shows :active (a key's pressed look) only where a touch listener is.
  backdrop.addEventListener("touchstart", () => {}, { passive: true });
  backdrop.addEventListener("click", (event) => {
    // The second click of a double click on the button that opened the prompt lands on
    // this backdrop: only a single click (`detail` 1, or 0 from script) cancels.
    if (!(event.detail > 1) && event.target === backdrop) cancel();
  });
  toggle.addEventListener("click", () => {
    if (closed) return;
    masked = !masked;
    input.type = masked ? "password" : "text";
    toggle.textContent = masked ? strings.show : strings.hide;
    if (!busy) renderCells();
  });
  for (const b of buttons) {
    const key = b.dataset.key ?? b.dataset.action;
    b.addEventListener("click", () => {
      if (key === "cancel") return cancel();
      press(key);
      // Focus stays on the key, so only this says how many digits are in (never which).
      if (key !== "submit" && !busy && !closed) status.textContent = fill(strings.digitsEntered, "count", input.value.length);
    });
  }

  // Taken out of the page (a re-render that replaced the container, say, also inside a
  // component's shadow root): the prompt is cancelled, or, while a PIN is checked, closed
  // by its answer. Moved elsewhere, it is no longer modal: it is opened as modal again.
  const moved = new MutationObserver(() => {
    if (!host.isConnected) {
      if (!busy) cancel();
    } else if (modal && !closed && !stillModal()) {
      backdrop.removeAttribute("open");
      showModal();
    }
  });
  for (let node = host; ; ) {
    const root = node.getRootNode();
    moved.observe(root, { childList: true, subtree: true });
    if (!(root instanceof ShadowRoot)) break;
    node = root.host;
  }
  done.then(() => moved.disconnect());

  renderStep();
  const close = () => {
    if (cancel()) return true;
    closing = !closed;
    return false;
  };
  return { done, close };
}

/** The open prompt of each `PinAuth`: one at a time. */
const openPrompts = new WeakMap();

/** Closes the open prompt of `auth`, if any, as its `free()` does: `CANCELLED`, or the
 * answer to a PIN being checked. */
export function closePrompt(auth) {
  openPrompts.get(auth)?.close();
}

/** The flow's call with the entered PINs (the re-authentication token, or undefined). */
const CALLS = {
  setup: (api, auth, [pin]) => api.setPin.call(auth, pin),
  unlock: (api, auth, [pin]) => api.loginWithPin.call(auth, pin),
  reauth: (api, auth, [pin]) => api.reauthenticate.call(auth, pin),
  change: (api, auth, [current, pin]) => api.changePin.call(auth, current, pin),
};

/**
 * `auth.promptPin(options)`: opens the dialog for the state and resolves when its flow
 * succeeded (with the token for a re-authentication). A wrong PIN or a rate limit keeps
 * the dialog open with the attempts left or the wait, and so does the server out of reach
 * in an unlock or a re-authentication, for another try; any other error closes it with
 * that error. When the state leaves the one the flow needs, it closes too: resolved when a
 * setup or unlock finds the client signed in, `NOT_SIGNED_IN` otherwise; while a PIN is
 * being checked, the answer decides. Cancelling rejects with `CANCELLED`. The options are
 * checked, and a second prompt of `auth` refused (`PROMPT_OPEN`), by the module.
 * `api` is `PinAuth.prototype`: the flow makes its calls through the SDK's own methods,
 * whatever the page sets on `auth` itself.
 */
export async function promptPin(auth, options, api) {
  const config = api.__promptConfig.call(auth, options, openPrompts.has(auth));
  if (config === undefined) return undefined;
  const { flow, needs, strings, messages } = config;
  const failure = (code, message = messages[code]) => ({
    error: Object.assign(new Error(message), { name: "PinAuthError", code }),
  });
  // The options' getters are the page's code: they may have opened a prompt of `auth`.
  if (openPrompts.has(auth)) throw failure("PROMPT_OPEN").error;
  /** How the prompt ends in `state`, or undefined while the flow can still succeed. */
  const endedIn = (state) =>
    state === needs
      ? undefined
      : state === "signedIn" && (flow === "setup" || flow === "unlock")
        ? { value: undefined }
        : failure("NOT_SIGNED_IN");
  /** The outcome, set once by whatever settles it first. */
  let outcome;
  const settle = (result) => (outcome ??= result);
  /** The last state announced (a freed `PinAuth` answers no more). */
  let state = needs;
  const stateNow = () => {
    try {
      return Reflect.get(api, "state", auth);
    } catch {
      return state;
    }
  };
  const retryText = (error) => {
    if (error?.code === "INVALID_PIN") {
      const left = error.attemptsRemaining;
      return left === 1 ? strings.lastAttempt : left === undefined ? error.message : fill(strings.wrongPin, "attempts", left);
    }
    if (error?.code === "RATE_LIMITED") return fill(strings.rateLimited, "seconds", error.retryAfterSeconds ?? 60);
    // The server out of reach (the backend's `handle` threw: offline) in an unlock or a
    // re-authentication: another try. A setup or a change may have gone through on the
    // server, and an answer of the wrong kind will not change: those close with the error.
    const unreached = error?.code === "TRANSPORT_FAILED" && error.cause !== undefined;
    if (unreached && (flow === "unlock" || flow === "reauth")) return strings.unreachable;
  };
  const check = (pin) => {
    const result = api.checkPin.call(auth, pin);
    return result.ok ? undefined : result.reason;
  };
  const submit = (pins, reply) => {
    CALLS[flow](api, auth, pins)
      .then((value) => ({ value }), (error) => ({ error }))
      .then((result) => {
        const retry = "error" in result ? retryText(result.error) : undefined;
        // Another try only while the flow can still succeed: the state may have moved
        // while the PIN was checked.
        const ended = retry === undefined ? result : endedIn(stateNow());
        if (ended) settle(ended);
        reply(ended ? undefined : retry);
      });
  };
  // Held from here on: opening the dialog moves focus, which runs the page's handlers,
  // and they may call `promptPin` or `free()` again. (While the dialog is in the page, its
  // listeners keep `auth` from garbage collection, which would free it under the user.)
  let view;
  const slot = { closed: false, close: () => (view ? view.close() : (slot.closed = true)) };
  openPrompts.set(auth, slot);
  try {
    view = openPrompt(config, check, submit);
  } catch {
    openPrompts.delete(auth);
    throw failure("INTERNAL", "The PIN prompt could not be shown.").error;
  }
  /** The state left the one the flow's call needs while the dialog waited for input
   * (another tab logged out or took the device for another account, a token expired, a
   * call of the page's own signed in). While a PIN is being checked, that call's answer
   * closes the dialog instead. */
  const follow = (now) => {
    state = now;
    const ended = endedIn(now);
    if (ended && view.close()) settle(ended);
  };
  let unsubscribe = () => {};
  try {
    unsubscribe = api.onStateChange.call(auth, follow);
  } catch {
    slot.closed = true; // freed while the dialog opened
  }
  if (slot.closed) view.close();
  else follow(stateNow());
  await view.done;
  openPrompts.delete(auth);
  unsubscribe();
  outcome ??= failure("CANCELLED");
  if ("error" in outcome) throw outcome.error;
  return outcome.value;
}
