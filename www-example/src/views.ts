// The main column: sign-in and registration, PIN setup, the locked screen, forgot and
// reset PIN, and the signed-in dashboard (balance, send money, activity, security,
// devices). Plus the top bar.
import { isPinAuthError } from "pinauth";
import type { DeviceInfo, ReauthValidation } from "pinauth";
import { errorText, reasonText, type App } from "./main";
import { byId, field, h, icon, mount, uid } from "./dom";
import { formatAgo, formatClock, formatDateTime, formatDuration, formatMoney, shorten } from "./format";
import { stateBadge } from "./inspector";
import { deviceUrl, lastEmail, rememberEmail } from "./settings";
import { toast } from "./toasts";

/** Runs `work` with `button` disabled and showing `label`; errors go to `errorEl`. */
async function busy(
  button: HTMLButtonElement,
  label: string,
  errorEl: HTMLElement | null,
  work: () => Promise<void>,
): Promise<void> {
  const text = button.textContent ?? "";
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = label;
  if (errorEl) errorEl.textContent = "";
  try {
    await work();
  } catch (error) {
    const message = isPinAuthError(error) ? errorText(error) : String(error);
    if (errorEl) errorEl.textContent = message;
    else toast("error", message);
  } finally {
    if (button.isConnected) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.textContent = text;
    }
  }
}

const formError = (): HTMLParagraphElement => h("p", { class: "form-error", role: "alert" });

function greeting(): string {
  const hour = new Date().getHours();
  return hour < 5
    ? "Good evening"
    : hour < 12
      ? "Good morning"
      : hour < 18
        ? "Good afternoon"
        : "Good evening";
}

const PAYEES = ["Ben Okafor", "Chloé Martin", "Dev Patel", "Landlord — Rent"];

export class Views {
  private authTab: "signin" | "register" = "signin";
  private viewKey = "";
  private devicesEl: HTMLElement | null = null;
  private activityEl: HTMLElement | null = null;
  private approvalEl: HTMLElement | null = null;
  private balanceEl: HTMLElement | null = null;
  private approvalLeft: HTMLElement | null = null;
  private forgetConfirm = false;
  private revokeConfirm: string | null = null;
  private forgotSentTo: string | null = null;

  constructor(private readonly app: App) {}

  // ---- top bar ----

  renderTopbar(): void {
    const { app } = this;
    const user = app.auth.user;
    mount(
      byId("topbar-right"),
      h(
        "span",
        { class: "chip", title: `appId ${app.ctx.appId}` },
        icon(app.ctx.deviceName ? "tablet" : "laptop", 16),
        app.ctx.deviceName ? `Simulated ${app.ctx.deviceName}` : "Main browser",
      ),
      user && app.state !== "signedOut"
        ? [
            h("span", { class: "topbar-user" }, user.email),
            h(
              "button",
              { type: "button", class: "btn btn-ghost btn-sm", onclick: () => void app.signOut() },
              "Sign out",
            ),
          ]
        : null,
    );
  }

  // ---- main column ----

  renderMain(): void {
    const { app } = this;
    const route = app.route();
    const main = byId("main");
    let key: string;
    let view: HTMLElement;
    if (route.name === "reset") {
      key = "reset";
      view = this.reset(route.token);
    } else if (route.name === "forgot") {
      key = "forgot";
      view = this.forgot();
    } else if (app.state === "signedIn") {
      key = "dashboard";
      view = this.dashboard();
    } else if (app.state === "pinRequired" && !app.usePassword) {
      key = "locked";
      view = this.locked();
    } else if (app.state === "pinSetupRequired") {
      key = "setup";
      view = this.setup();
    } else {
      key = "signin";
      view = this.signIn();
    }
    if (key !== "dashboard") {
      this.devicesEl = this.activityEl = this.approvalEl = this.balanceEl = this.approvalLeft = null;
    }
    main.dataset["view"] = key;
    mount(main, view);
    if (key !== this.viewKey && this.viewKey !== "" && !app.promptKind) {
      main.querySelector<HTMLElement>("h1")?.focus({ preventScroll: false });
    }
    this.viewKey = key;
  }

  private notice(): HTMLElement | null {
    const notice = this.app.notice;
    if (!notice) return null;
    return h(
      "div",
      {
        class: `notice notice-${notice.kind}`,
        role: notice.kind === "error" ? "alert" : "status",
        "data-testid": "notice",
      },
      notice.text,
    );
  }

  private signIn(): HTMLElement {
    const { app } = this;
    const tabs = { signin: "tab-signin", register: "tab-register" };
    const panels = { signin: "panel-signin", register: "panel-register" };

    const email = field("Email", {
      name: "email",
      type: "email",
      autocomplete: "username",
      required: true,
      value: lastEmail(),
      placeholder: "you@example.com",
    });
    const password = field("Password", {
      name: "password",
      type: "password",
      autocomplete: "current-password",
      required: true,
    });
    const signInError = formError();
    const signInButton = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "Sign in");
    const signInForm = h(
      "form",
      {
        class: "stack",
        "aria-label": "Sign in",
        onsubmit: (event: SubmitEvent) => {
          event.preventDefault();
          void busy(signInButton, "Signing in…", signInError, async () => {
            const address = email.input.value.trim();
            rememberEmail(address);
            const state = await app.auth.login(address, password.input.value);
            password.input.value = "";
            if (state === "signedIn")
              toast("success", "Signed in", "This device already has a PIN: no new one needed.");
          });
        },
      },
      email.wrap,
      password.wrap,
      signInError,
      signInButton,
      h("p", { class: "center small" }, h("a", { href: "#/forgot" }, "Forgot your PIN?")),
    );

    const newEmail = field("Email", {
      name: "new-email",
      type: "email",
      autocomplete: "email",
      required: true,
      placeholder: "you@example.com",
    });
    const newPassword = field(
      "Password",
      { name: "new-password", type: "password", autocomplete: "new-password", required: true, minlength: 8 },
      "At least 8 characters.",
    );
    const registerError = formError();
    const registerButton = h(
      "button",
      { type: "submit", class: "btn btn-primary btn-block" },
      "Create account",
    );
    const registerForm = h(
      "form",
      {
        class: "stack",
        "aria-label": "Create account",
        onsubmit: (event: SubmitEvent) => {
          event.preventDefault();
          void busy(registerButton, "Creating account…", registerError, async () => {
            const address = newEmail.input.value.trim();
            await app.auth.register(address, newPassword.input.value);
            rememberEmail(address);
            toast("success", "Account created", "Now sign in with it.");
            this.authTab = "signin";
            this.renderMain();
            byId("main").querySelector<HTMLInputElement>('input[type="password"]')?.focus();
          });
        },
      },
      newEmail.wrap,
      newPassword.wrap,
      registerError,
      registerButton,
    );

    const tab = (name: "signin" | "register", label: string) =>
      h(
        "button",
        {
          type: "button",
          role: "tab",
          id: tabs[name],
          class: "tab",
          "aria-selected": this.authTab === name ? "true" : "false",
          "aria-controls": panels[name],
          tabindex: this.authTab === name ? 0 : -1,
          onclick: () => {
            this.authTab = name;
            this.renderMain();
            byId(tabs[name]).focus();
          },
          onkeydown: (event: KeyboardEvent) => {
            if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
              this.authTab = this.authTab === "signin" ? "register" : "signin";
              this.renderMain();
              byId(tabs[this.authTab]).focus();
            }
          },
        },
        label,
      );
    const panel = (name: "signin" | "register", form: HTMLElement) =>
      h(
        "div",
        { role: "tabpanel", id: panels[name], "aria-labelledby": tabs[name], hidden: this.authTab !== name },
        form,
      );

    const passwordInstead = app.state === "pinRequired" && app.usePassword;
    return h(
      "div",
      { class: "hero-grid" },
      h(
        "section",
        { class: "hero" },
        h("p", { class: "eyebrow" }, "PIN sign-in on a trusted device"),
        h("h1", { tabindex: -1 }, "Sign in once.", h("br"), "Then just your PIN."),
        h(
          "p",
          { class: "lead" },
          "Pinpay is a demo bank built on pinauth. Your password sets up this device; after that a 6-digit PIN unlocks it, and confirms every transfer.",
        ),
        h(
          "ul",
          { class: "features" },
          feature(
            "lock",
            "The PIN never leaves the device",
            "Only an Argon2id proof, salted per device, is sent.",
          ),
          feature("key", "Bound to this browser", "A non-extractable WebCrypto key signs every PIN request."),
          feature(
            "shield",
            "Wrong guesses counted by the server",
            "Five wrong PINs turn the PIN off; the password takes over.",
          ),
        ),
      ),
      h(
        "section",
        { class: "card auth-card", "aria-label": "Your account" },
        this.notice(),
        passwordInstead
          ? h(
              "div",
              { class: "notice notice-info" },
              "Signing in with your password gives this device a fresh PIN session. ",
              h(
                "button",
                {
                  type: "button",
                  class: "link",
                  onclick: () => {
                    app.usePassword = false;
                    app.render();
                    app.autoPrompt();
                  },
                },
                "Use the PIN instead",
              ),
            )
          : null,
        h(
          "div",
          { role: "tablist", class: "tabs", "aria-label": "Sign in or create an account" },
          tab("signin", "Sign in"),
          tab("register", "Create account"),
        ),
        panel("signin", signInForm),
        panel("register", registerForm),
      ),
    );
  }

  private setup(): HTMLElement {
    const { app } = this;
    return h(
      "section",
      { class: "card narrow center-card" },
      h("div", { class: "big-icon", "aria-hidden": "true" }, icon("keypad", 30)),
      h("h1", { tabindex: -1 }, "Secure this device with a PIN"),
      h(
        "p",
        { class: "lead" },
        `You signed in with your password. Choose a 6-digit PIN for this device: from now on it unlocks Pinpay here for ${sessionWords(app)}.`,
      ),
      h(
        "button",
        { type: "button", class: "btn btn-primary", onclick: () => void app.prompt("setup") },
        "Create PIN",
      ),
      h(
        "p",
        { class: "small muted" },
        "Each device has its own PIN. Not now? ",
        h("button", { type: "button", class: "link", onclick: () => void app.signOut() }, "Sign out"),
      ),
    );
  }

  private locked(): HTMLElement {
    const { app } = this;
    const email = app.auth.user?.email ?? "";
    return h(
      "section",
      { class: "card narrow center-card" },
      h("div", { class: "avatar avatar-lg", "aria-hidden": "true" }, (email[0] ?? "?").toUpperCase()),
      h("h1", { tabindex: -1 }, "Welcome back"),
      h(
        "p",
        { class: "lead" },
        email
          ? [h("strong", null, email), " — enter this device's PIN to unlock."]
          : "Enter this device's PIN to unlock.",
      ),
      this.notice(),
      h(
        "button",
        { type: "button", class: "btn btn-primary", onclick: () => void app.prompt("unlock") },
        "Unlock with PIN",
      ),
      h(
        "div",
        { class: "row center" },
        h("a", { href: "#/forgot", class: "small" }, "Forgot PIN?"),
        h("span", { class: "muted", "aria-hidden": "true" }, "·"),
        h(
          "button",
          {
            type: "button",
            class: "link small",
            onclick: () => {
              app.usePassword = true;
              app.render();
            },
          },
          "Sign in with password instead",
        ),
        h("span", { class: "muted", "aria-hidden": "true" }, "·"),
        h(
          "button",
          { type: "button", class: "link small", onclick: () => void app.signOut() },
          "Not you? Sign out",
        ),
      ),
    );
  }

  private forgot(): HTMLElement {
    const { app } = this;
    const email = field("Email", {
      name: "forgot-email",
      type: "email",
      autocomplete: "username",
      required: true,
      value: app.inboxEmail(),
    });
    const error = formError();
    const button = h(
      "button",
      { type: "submit", class: "btn btn-primary btn-block" },
      "Email me a reset link",
    );
    const sent = this.forgotSentTo;
    return h(
      "section",
      { class: "card narrow" },
      h("h1", { tabindex: -1 }, "Reset your PIN"),
      h(
        "p",
        { class: "lead" },
        "We'll email you a link that sets a new PIN for this device. Your password stays as it is.",
      ),
      sent
        ? h(
            "div",
            { class: "notice notice-success", role: "status", "data-testid": "forgot-sent" },
            h("strong", null, "Check your inbox. "),
            `If ${sent} has an account, a reset link is on its way. This demo's inbox is in the side panel.`,
            " ",
            h("button", { type: "button", class: "link", onclick: () => focusInbox() }, "Open the inbox"),
          )
        : null,
      h(
        "form",
        {
          class: "stack",
          "aria-label": "Reset your PIN",
          onsubmit: (event: SubmitEvent) => {
            event.preventDefault();
            void busy(button, "Sending…", error, async () => {
              const address = email.input.value.trim();
              await app.auth.forgotPin(address);
              rememberEmail(address);
              this.forgotSentTo = address;
              toast("success", "Reset email sent", "Open it in the inbox panel.");
              this.renderMain();
              app.inspector.renderInbox();
            });
          },
        },
        email.wrap,
        error,
        button,
      ),
      h(
        "p",
        { class: "center small" },
        h(
          "button",
          {
            type: "button",
            class: "link",
            onclick: () => {
              this.forgotSentTo = null;
              app.go("");
            },
          },
          "← Back",
        ),
      ),
    );
  }

  private reset(token: string): HTMLElement {
    const { app } = this;
    const code = field("Reset code (from the email)", {
      name: "reset-token",
      type: "text",
      required: true,
      value: token,
      autocomplete: "off",
      spellcheck: "false",
      class: "mono",
    });
    const pinAttrs = {
      type: "password",
      inputmode: "numeric",
      pattern: "[0-9]*",
      maxlength: 6,
      autocomplete: "off",
      required: true,
      class: "pin-input",
    };
    const pin = field(
      "New PIN",
      { name: "new-pin", ...pinAttrs },
      "6 digits. No repeats or sequences like 123456.",
    );
    const confirm = field("Confirm new PIN", { name: "confirm-pin", ...pinAttrs });
    const error = formError();
    const button = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "Set new PIN");
    // The policy, checked as the user types (no network call).
    pin.input.addEventListener("input", () => {
      const value = pin.input.value;
      const check = value.length === 6 ? app.auth.checkPin(value) : null;
      if (pin.hint)
        pin.hint.textContent =
          check && !check.ok
            ? reasonText(check.reason)
            : check
              ? "Good PIN."
              : "6 digits. No repeats or sequences like 123456.";
      pin.input.setAttribute("aria-invalid", check && !check.ok ? "true" : "false");
      pin.hint?.classList.toggle("hint-error", Boolean(check && !check.ok));
    });
    return h(
      "section",
      { class: "card narrow" },
      h("h1", { tabindex: -1 }, "Choose a new PIN"),
      h(
        "p",
        { class: "lead" },
        "The link from your email is filled in. The new PIN is for this device, and unlocks it right away.",
      ),
      h(
        "form",
        {
          class: "stack",
          "aria-label": "Choose a new PIN",
          onsubmit: (event: SubmitEvent) => {
            event.preventDefault();
            void busy(button, "Setting PIN…", error, async () => {
              if (pin.input.value !== confirm.input.value) {
                confirm.input.focus();
                throw new Error("The PINs do not match.");
              }
              await app.quietly(() => app.auth.resetPin(code.input.value.trim(), pin.input.value));
              pin.input.value = confirm.input.value = "";
              this.forgotSentTo = null;
              app.notice = null;
              toast(
                "success",
                "PIN reset",
                app.auth.state === "signedIn"
                  ? "You're signed in on this device with the new PIN."
                  : "Unlock with the new PIN.",
              );
              app.go("");
              app.autoPrompt();
            });
          },
        },
        code.wrap,
        pin.wrap,
        confirm.wrap,
        error,
        button,
      ),
      h(
        "p",
        { class: "center small" },
        h("button", { type: "button", class: "link", onclick: () => app.go("") }, "Cancel"),
      ),
    );
  }

  // ---- dashboard ----

  private dashboard(): HTMLElement {
    const { app } = this;
    const user = app.auth.user;
    this.balanceEl = h("div", { class: "balance-body" });
    this.approvalEl = h("div", { class: "approval-area", "aria-live": "polite" });
    this.activityEl = h("div", { class: "activity-body" });
    this.devicesEl = h("div", { class: "devices-body" });

    const view = h(
      "div",
      { class: "dashboard" },
      h(
        "div",
        { class: "page-head" },
        h(
          "div",
          null,
          h("h1", { tabindex: -1 }, greeting()),
          h(
            "p",
            { class: "muted" },
            "Signed in as ",
            h("strong", null, user?.email ?? ""),
            " on this device. ",
            stateBadge("signedIn"),
          ),
        ),
      ),
      h(
        "div",
        { class: "dash-grid" },
        h(
          "div",
          { class: "dash-col" },
          h(
            "section",
            { class: "card balance-card", "aria-labelledby": "balance-title" },
            h("h2", { id: "balance-title", class: "card-kicker" }, "Available balance"),
            this.balanceEl,
          ),
          h(
            "section",
            { class: "card activity-card", "aria-labelledby": "activity-title" },
            h("h2", { id: "activity-title" }, "Activity"),
            this.activityEl,
          ),
          h(
            "section",
            { class: "card devices-card", "aria-labelledby": "devices-title" },
            h(
              "div",
              { class: "card-head" },
              h("h2", { id: "devices-title" }, "Your devices"),
              h(
                "a",
                { class: "small", href: deviceUrl("tablet"), target: "_blank", rel: "noopener" },
                "Open a second device ↗",
              ),
            ),
            h(
              "p",
              { class: "muted small" },
              "Each device has its own key and PIN. Revoking one ends its sessions at once.",
            ),
            this.devicesEl,
          ),
        ),
        h("div", { class: "dash-col" }, this.sendCard(), this.securityCard()),
      ),
    );
    this.renderBalance();
    this.renderApproval();
    this.renderActivity();
    this.renderDevices();
    return view;
  }

  private sendCard(): HTMLElement {
    const { app } = this;
    const listId = uid("payees");
    const recipient = field("Recipient", {
      name: "recipient",
      type: "text",
      required: true,
      list: listId,
      autocomplete: "off",
      value: PAYEES[0],
    });
    const amount = field("Amount (EUR)", {
      name: "amount",
      type: "number",
      required: true,
      min: "0.01",
      max: "10000",
      step: "0.01",
      inputmode: "decimal",
      value: "25.00",
    });
    const holdId = uid("hold");
    const hold = h("input", {
      type: "checkbox",
      id: holdId,
      name: "hold",
      "aria-describedby": `${holdId}-hint`,
    });
    const error = formError();
    const button = h("button", { type: "submit", class: "btn btn-primary" }, "Send money");
    return h(
      "section",
      { class: "card send-card", "aria-labelledby": "send-title" },
      h("h2", { id: "send-title" }, "Send money"),
      h(
        "p",
        { class: "muted small" },
        "A sensitive action: your PIN confirms it (",
        h("code", null, 'promptPin({ mode: "reauth" })'),
        "), and the bank server accepts that approval once (",
        h("code", null, "validateReauthToken"),
        ").",
      ),
      h(
        "form",
        {
          class: "stack",
          "aria-label": "Send money",
          onsubmit: (event: SubmitEvent) => {
            event.preventDefault();
            const cents = Math.round(Number(amount.input.value) * 100);
            if (!Number.isFinite(cents) || cents <= 0) {
              error.textContent = "Enter an amount.";
              return;
            }
            void busy(button, "Waiting for your PIN…", error, async () => {
              const done = await app.bank.transfer(
                recipient.input.value.trim() || "Someone",
                cents,
                hold.checked,
              );
              if (!done) return;
              this.renderApproval();
              this.renderActivity();
              this.renderBalance();
              const verdict = app.bank.verdict;
              if (verdict) toast(verdict.accepted ? "success" : "error", verdict.title, verdict.detail);
              else
                toast(
                  "info",
                  "Transfer approved",
                  "The approval is held: send it to the bank before it expires.",
                );
            });
          },
        },
        h(
          "datalist",
          { id: listId },
          PAYEES.map((p) => h("option", { value: p })),
        ),
        h("div", { class: "row2" }, recipient.wrap, amount.wrap),
        h(
          "div",
          { class: "check" },
          hold,
          h("label", { for: holdId }, "Approve now, send to the bank later"),
          h(
            "p",
            { class: "hint", id: `${holdId}-hint` },
            "Holds the approval so you can replay it or watch it expire.",
          ),
        ),
        error,
        button,
      ),
      this.approvalEl,
    );
  }

  private securityCard(): HTMLElement {
    const { app } = this;
    const forgetArea = h("div", { class: "row-actions" });
    const drawForget = () =>
      mount(
        forgetArea,
        this.forgetConfirm
          ? h(
              "div",
              { class: "confirm", role: "group", "aria-label": "Confirm forgetting this device" },
              h(
                "button",
                {
                  type: "button",
                  class: "btn btn-danger btn-sm",
                  onclick: () => {
                    this.forgetConfirm = false;
                    void app.forgetDevice();
                  },
                },
                "Forget it",
              ),
              h(
                "button",
                {
                  type: "button",
                  class: "btn btn-ghost btn-sm",
                  onclick: () => {
                    this.forgetConfirm = false;
                    drawForget();
                  },
                },
                "Keep",
              ),
            )
          : h(
              "button",
              {
                type: "button",
                class: "btn btn-secondary btn-sm",
                onclick: () => {
                  this.forgetConfirm = true;
                  drawForget();
                  forgetArea.querySelector("button")?.focus();
                },
              },
              "Forget this device",
            ),
      );
    drawForget();
    const user = app.auth.user;
    const emailButton = h(
      "button",
      { type: "button", class: "btn btn-secondary btn-sm" },
      "Email me a reset link",
    );
    emailButton.addEventListener(
      "click",
      () =>
        void busy(emailButton, "Sending…", null, async () => {
          if (!user) return;
          await app.auth.forgotPin(user.email);
          toast("success", "Reset email sent", `Open it in the inbox panel (${user.email}).`);
          app.inspector.renderInbox();
          focusInbox();
        }),
    );
    return h(
      "section",
      { class: "card security-card", "aria-labelledby": "security-title" },
      h("h2", { id: "security-title" }, "Security"),
      h(
        "ul",
        { class: "settings" },
        setting(
          "Change PIN",
          "Current PIN, then the new one twice.",
          h(
            "button",
            { type: "button", class: "btn btn-secondary btn-sm", onclick: () => void app.prompt("change") },
            "Change PIN",
          ),
        ),
        setting("Forgot your PIN?", "A reset link goes to your inbox.", emailButton),
        setting(
          "Forget this device",
          "Wipes its key and PIN here and removes it from your account.",
          forgetArea,
        ),
        setting(
          "Sign out",
          "Ends this device's PIN session. Other tabs follow.",
          h(
            "button",
            { type: "button", class: "btn btn-secondary btn-sm", onclick: () => void app.signOut() },
            "Sign out",
          ),
        ),
      ),
    );
  }

  private renderBalance(): void {
    if (!this.balanceEl) return;
    const ledger = this.app.bank.ledger();
    mount(
      this.balanceEl,
      h("p", { class: "balance", "data-testid": "balance" }, formatMoney(ledger.balance)),
      h("p", { class: "muted small" }, "Current account · •••• 4821"),
    );
  }

  private renderApproval(): void {
    const el = this.approvalEl;
    if (!el) return;
    const { bank } = this.app;
    const approval = bank.approval;
    const verdict = bank.verdict;
    this.approvalLeft = null;
    if (!approval) {
      mount(el);
      return;
    }
    const after = () => {
      this.renderApproval();
      this.renderActivity();
      this.renderBalance();
      const v = bank.verdict;
      if (v) toast(v.accepted ? "success" : "error", v.title, v.detail);
    };
    this.approvalLeft = h("span", { "data-testid": "approval-left" });
    mount(
      el,
      h(
        "div",
        { class: "approval", "data-testid": "approval" },
        h(
          "div",
          { class: "approval-head" },
          h("strong", null, `Approval: ${formatMoney(approval.cents)} to ${approval.recipient}`),
          this.approvalLeft,
        ),
        h("p", { class: "mono small muted" }, `re-auth token ${shorten(approval.token, 8)}`),
        h(
          "div",
          { class: "row" },
          approval.submissions === 0
            ? h(
                "button",
                {
                  type: "button",
                  class: "btn btn-primary btn-sm",
                  onclick: async () => {
                    await bank.submit();
                    after();
                  },
                },
                "Send to the bank",
              )
            : h(
                "button",
                {
                  type: "button",
                  class: "btn btn-secondary btn-sm",
                  onclick: async () => {
                    await bank.submit();
                    after();
                  },
                },
                "Replay this approval",
              ),
          h(
            "span",
            { class: "muted small" },
            approval.submissions === 0 ? "Not sent yet." : `Sent ${approval.submissions}×.`,
          ),
        ),
      ),
      verdict
        ? h(
            "div",
            {
              class: `verdict ${verdict.accepted ? "verdict-ok" : "verdict-bad"}`,
              role: "status",
              "data-testid": "verdict",
            },
            h("strong", null, verdict.accepted ? "✓ " : "✕ ", verdict.title),
            h("p", null, verdict.detail),
            h(
              "code",
              { class: "small verdict-code", title: JSON.stringify(verdict.validation) },
              `validateReauthToken(token) → ${describeValidation(verdict.validation)}`,
            ),
          )
        : null,
    );
    this.tick();
  }

  private renderActivity(): void {
    if (!this.activityEl) return;
    const { entries } = this.app.bank.ledger();
    mount(
      this.activityEl,
      h(
        "ul",
        { class: "activity", "aria-label": "Recent activity" },
        entries
          .slice(0, 6)
          .map((entry) =>
            h(
              "li",
              { class: `tx ${entry.status === "refused" ? "tx-refused" : ""}`, "data-status": entry.status },
              h(
                "span",
                { class: `avatar hue-${hue(entry.counterparty)}`, "aria-hidden": "true" },
                entry.counterparty[0]?.toUpperCase() ?? "?",
              ),
              h(
                "div",
                { class: "tx-main" },
                h("span", { class: "tx-name" }, entry.counterparty),
                h("span", { class: "muted small" }, `${formatAgo(entry.at)} · ${entry.detail}`),
              ),
              h(
                "span",
                { class: `tx-amount ${entry.cents > 0 ? "in" : ""}` },
                entry.status === "refused" ? h("span", { class: "badge badge-bad" }, "Refused") : null,
                (entry.cents > 0 ? "+" : "−") + formatMoney(Math.abs(entry.cents)),
              ),
            ),
          ),
      ),
    );
  }

  async renderDevices(): Promise<void> {
    const el = this.devicesEl;
    const { app } = this;
    const email = app.auth.user?.email;
    if (!el || !email) return;
    let devices: DeviceInfo[] = [];
    try {
      devices = await app.backend.devices(email);
    } catch (error) {
      mount(el, h("p", { class: "form-error" }, String(error)));
      return;
    }
    const names = app.deviceNames();
    mount(
      el,
      h(
        "ul",
        { class: "devices", "aria-label": "Devices on this account" },
        devices.map((device) => {
          const current = device.deviceId === app.auth.deviceId;
          const name = current ? "This device" : (names[device.deviceId] ?? "Another device");
          let action: HTMLElement | null = null;
          if (!current && this.revokeConfirm === device.deviceId) {
            action = h(
              "div",
              { class: "confirm", role: "group", "aria-label": `Confirm revoking ${name}` },
              h(
                "button",
                {
                  type: "button",
                  class: "btn btn-danger btn-sm",
                  onclick: () => {
                    this.revokeConfirm = null;
                    void app.revokeDevice(device.deviceId);
                  },
                },
                "Revoke",
              ),
              h(
                "button",
                {
                  type: "button",
                  class: "btn btn-ghost btn-sm",
                  onclick: () => {
                    this.revokeConfirm = null;
                    this.renderDevices();
                  },
                },
                "Keep",
              ),
            );
          } else if (!current) {
            action = h(
              "button",
              {
                type: "button",
                class: "btn btn-secondary btn-sm",
                "aria-label": `Revoke ${name} (${device.deviceId.slice(0, 8)})`,
                onclick: () => {
                  this.revokeConfirm = device.deviceId;
                  this.renderDevices();
                },
              },
              "Revoke…",
            );
          }
          return h(
            "li",
            {
              class: "device",
              "data-device-id": device.deviceId,
              "data-current": current ? "true" : "false",
            },
            h(
              "span",
              { class: "device-icon", "aria-hidden": "true" },
              icon(names[device.deviceId]?.startsWith("Simulated") ? "tablet" : "laptop"),
            ),
            h(
              "div",
              { class: "device-main" },
              h(
                "span",
                { class: "device-name" },
                name,
                current && names[device.deviceId]
                  ? h("span", { class: "muted small" }, ` · ${names[device.deviceId]}`)
                  : null,
              ),
              h("span", { class: "mono small muted" }, shorten(device.deviceId, 6)),
              h(
                "span",
                { class: "muted small" },
                `Added ${formatDateTime(device.registeredAt)} · last used ${formatAgo(device.lastUsedAt)}`,
              ),
            ),
            h(
              "span",
              { class: `badge ${device.hasPin ? "badge-ok" : "badge-warn"}` },
              device.hasPin ? "PIN set" : "No PIN",
            ),
            action,
          );
        }),
      ),
    );
  }

  refreshData(): void {
    this.renderDevices();
  }

  tick(): void {
    const approval = this.app.bank.approval;
    if (this.approvalLeft && approval) {
      const left = approval.expiresAt - Date.now();
      const used = approval.submissions > 0 && this.app.bank.verdict?.accepted;
      const text = used ? "used" : left > 0 ? `expires in ${formatDuration(left)}` : "expired";
      if (this.approvalLeft.textContent !== text) {
        this.approvalLeft.textContent = text;
        this.approvalLeft.className = `badge ${used ? "" : left > 0 ? "badge-ok" : "badge-bad"}`;
      }
    }
  }
}

/** `{ valid: true, uid: "u_6H…zog", deviceId: "A5m…LpA", expiresAt: 14:29:35 }`, shortened. */
function describeValidation(validation: ReauthValidation): string {
  const parts = [`valid: ${validation.valid}`];
  if (validation.uid) parts.push(`uid: "${shorten(validation.uid, 4)}"`);
  if (validation.deviceId) parts.push(`deviceId: "${shorten(validation.deviceId, 4)}"`);
  if (validation.expiresAt) parts.push(`expiresAt: ${formatClock(validation.expiresAt)}`);
  return `{ ${parts.join(", ")} }`;
}

/** One of six avatar colours, by name. */
function hue(name: string): number {
  let sum = 0;
  for (const char of name) sum = (sum * 31 + (char.codePointAt(0) ?? 0)) % 9973;
  return sum % 6;
}

function feature(name: string, title: string, text: string): HTMLElement {
  return h(
    "li",
    null,
    h("span", { class: "feature-icon", "aria-hidden": "true" }, icon(name)),
    h("div", null, h("strong", null, title), h("p", null, text)),
  );
}

function setting(title: string, text: string, action: HTMLElement): HTMLElement {
  return h(
    "li",
    null,
    h("div", null, h("strong", null, title), h("p", { class: "muted small" }, text)),
    action,
  );
}

function sessionWords(app: App): string {
  const seconds = app.ctx.lifetimes.pinSessionTtlSeconds;
  if (seconds % 86400 === 0) return `${seconds / 86400} days`;
  if (seconds >= 3600) return `${Math.round(seconds / 3600)} hours`;
  if (seconds >= 60) return `${Math.round(seconds / 60)} minutes`;
  return `${seconds} seconds`;
}

function focusInbox(): void {
  const inbox = document.getElementById("insp-inbox");
  const smooth = !matchMedia("(prefers-reduced-motion: reduce)").matches;
  inbox?.scrollIntoView({ behavior: smooth ? "smooth" : "auto", block: "start" });
  inbox?.setAttribute("tabindex", "-1");
  inbox?.focus({ preventScroll: true });
}
