// The side panel: the live state, the user and device, countdowns to the tokens' expiry,
// the mock inbox, and the demo's controls (token lifetimes, reset).
import type { AuthState } from "pinauth";
import type { App } from "./main";
import { byId, field, h, mount } from "./dom";
import { formatAgo, formatClock, formatDateTime, formatDuration, formatSeconds, shorten } from "./format";
import {
  FAST,
  MAX_SECONDS,
  STANDARD,
  deviceUrl,
  sameLifetimes,
  saveLifetimes,
  validSeconds,
  type Lifetimes,
} from "./settings";

export const STATE_LABELS: Record<AuthState, string> = {
  signedOut: "Signed out",
  pinSetupRequired: "PIN setup required",
  pinRequired: "PIN required",
  signedIn: "Signed in",
};

/** The SDK's default `accessTokenLeewaySeconds`. */
const LEEWAY_SECONDS = 30;

export function stateBadge(state: AuthState, extra = ""): HTMLElement {
  return h(
    "span",
    { class: `badge state-${state} ${extra}`, "data-state": state },
    h("span", { class: "dot", "aria-hidden": "true" }),
    STATE_LABELS[state],
  );
}

interface Countdown {
  el: HTMLElement;
  value: HTMLElement;
  bar: HTMLProgressElement;
  note: HTMLElement;
}

export class Inspector {
  private readonly root = byId("inspector");
  private access: Countdown | null = null;
  private session: Countdown | null = null;
  private inbox: HTMLElement | null = null;
  private resetConfirm = false;

  constructor(private readonly app: App) {}

  /** The PIN session as the SDK stored it (only its times are read). */
  pinSession(): { expiresAt: number; receivedAt: number } | null {
    try {
      const raw = localStorage.getItem(`pinauth:${this.app.ctx.appId}:v1:pinSession`);
      const saved: unknown = raw ? JSON.parse(raw) : null;
      if (saved && typeof saved === "object") {
        const { expiresAt, receivedAt } = saved as Record<string, unknown>;
        if (typeof expiresAt === "number" && typeof receivedAt === "number") return { expiresAt, receivedAt };
      }
    } catch {
      // Not ours to judge: the SDK reports corrupt values through onWarning.
    }
    return null;
  }

  pinSessionExpiry(): number | null {
    return this.pinSession()?.expiresAt ?? null;
  }

  render(): void {
    const { app } = this;
    const { auth, appId, deviceName } = app.ctx;
    const user = auth.user;
    const state = app.state;
    const since = app.stateLog[0]?.at ?? Date.now();

    this.access = countdown("Access token");
    this.session = countdown("PIN session");
    this.inbox = h("div", { class: "inbox-body" });

    mount(
      this.root,
      h(
        "section",
        { class: "panel", "aria-labelledby": "insp-session" },
        h("h2", { id: "insp-session" }, "Live session"),
        h(
          "div",
          { class: "state-row" },
          h("span", { id: "live-state", "data-testid": "live-state" }, stateBadge(state, "badge-lg")),
          h("span", { class: "muted small" }, `since ${formatClock(since)}`),
        ),
        h(
          "dl",
          { class: "facts" },
          h("dt", null, "User"),
          h(
            "dd",
            { "data-testid": "live-user" },
            user ? user.email : h("span", { class: "muted" }, "nobody"),
          ),
          user ? [h("dt", null, "User id"), h("dd", { class: "mono" }, user.uid)] : null,
          h("dt", null, "Device"),
          h(
            "dd",
            null,
            deviceName ? `Simulated ${deviceName}` : "Main browser",
            h("span", { class: "muted small" }, ` · appId ${appId}`),
          ),
          h("dt", null, "Device id"),
          h("dd", { class: "mono", "data-testid": "live-device-id" }, auth.deviceId),
        ),
      ),
      h(
        "section",
        { class: "panel", "aria-labelledby": "insp-tokens" },
        h("h2", { id: "insp-tokens" }, "Token lifetimes"),
        this.access.el,
        this.session.el,
      ),
      h(
        "section",
        { class: "panel", id: "inbox", "aria-labelledby": "insp-inbox" },
        h("h2", { id: "insp-inbox" }, "Inbox ", h("span", { class: "muted small" }, "(mock email)")),
        this.inbox,
      ),
      this.controls(),
      h(
        "section",
        { class: "panel", "aria-labelledby": "insp-log" },
        h("h2", { id: "insp-log" }, "State changes"),
        h(
          "ol",
          { class: "log", "aria-label": "State changes, newest first" },
          app.stateLog.map((entry) =>
            h(
              "li",
              null,
              stateBadge(entry.state),
              h("time", { class: "muted small" }, formatClock(entry.at)),
            ),
          ),
        ),
        h("p", { class: "hint" }, "From ", h("code", null, "auth.onStateChange"), ", newest first."),
      ),
    );
    this.renderInbox();
    this.tick();
  }

  /** Fast-expiry switch, custom lifetimes, and the reset of the demo's data. */
  private controls(): HTMLElement {
    const { lifetimes } = this.app.ctx;
    const fast = sameLifetimes(lifetimes, FAST);
    const standard = sameLifetimes(lifetimes, STANDARD);
    const apply = (next: Lifetimes, message: string) => {
      saveLifetimes(next);
      this.app.flashAfterReload(message);
      location.reload();
    };
    const toggle = h(
      "button",
      {
        type: "button",
        role: "switch",
        class: "switch",
        "aria-checked": fast ? "true" : "false",
        "aria-describedby": "fast-hint",
        onclick: () =>
          fast
            ? apply(STANDARD, "Standard lifetimes again: 15 min access tokens, 7-day PIN sessions.")
            : apply(
                FAST,
                "Fast expiry on: access tokens last 20 s, PIN sessions 60 s, approvals 15 s, from the next token on.",
              ),
      },
      h("span", { class: "switch-track", "aria-hidden": "true" }, h("span", { class: "switch-thumb" })),
      h("span", null, "Fast expiry"),
    );

    const inputs = {
      accessTokenTtlSeconds: field("Access token (seconds)", {
        name: "access-ttl",
        type: "number",
        min: 1,
        max: MAX_SECONDS,
        required: true,
        value: lifetimes.accessTokenTtlSeconds,
      }),
      pinSessionTtlSeconds: field("PIN session (seconds)", {
        name: "session-ttl",
        type: "number",
        min: 1,
        max: MAX_SECONDS,
        required: true,
        value: lifetimes.pinSessionTtlSeconds,
      }),
      reauthTokenTtlSeconds: field("Transfer approval, re-auth token (seconds)", {
        name: "reauth-ttl",
        type: "number",
        min: 1,
        max: MAX_SECONDS,
        required: true,
        value: lifetimes.reauthTokenTtlSeconds,
      }),
    };
    const custom = h(
      "form",
      {
        class: "stack",
        onsubmit: (event: SubmitEvent) => {
          event.preventDefault();
          const next = { ...lifetimes };
          for (const [key, { input }] of Object.entries(inputs) as [
            keyof Lifetimes,
            { input: HTMLInputElement },
          ][]) {
            const seconds = Number(input.value);
            if (!validSeconds(seconds)) {
              input.focus();
              return;
            }
            next[key] = seconds;
          }
          apply(
            next,
            `Lifetimes now: access ${formatSeconds(next.accessTokenTtlSeconds)}, PIN session ${formatSeconds(next.pinSessionTtlSeconds)}, approvals ${formatSeconds(next.reauthTokenTtlSeconds)}.`,
          );
        },
      },
      Object.values(inputs).map((f) => f.wrap),
      h("button", { type: "submit", class: "btn btn-secondary btn-sm" }, "Apply and reload"),
    );

    const resetArea = h("div", { class: "reset-area" });
    const drawReset = () => {
      mount(
        resetArea,
        this.resetConfirm
          ? h(
              "div",
              { class: "confirm", role: "group", "aria-label": "Confirm reset" },
              h("p", { class: "small" }, "Delete every account, device, email and setting of this demo?"),
              h(
                "div",
                { class: "row" },
                h(
                  "button",
                  { type: "button", class: "btn btn-danger btn-sm", onclick: () => this.app.resetDemo() },
                  "Delete everything",
                ),
                h(
                  "button",
                  {
                    type: "button",
                    class: "btn btn-ghost btn-sm",
                    onclick: () => {
                      this.resetConfirm = false;
                      drawReset();
                    },
                  },
                  "Keep",
                ),
              ),
            )
          : h(
              "button",
              {
                type: "button",
                class: "btn btn-ghost btn-sm",
                onclick: () => {
                  this.resetConfirm = true;
                  drawReset();
                },
              },
              "Reset demo data…",
            ),
      );
    };
    drawReset();

    return h(
      "section",
      { class: "panel", "aria-labelledby": "insp-controls" },
      h("h2", { id: "insp-controls" }, "Demo controls"),
      h("div", { class: "switch-row" }, toggle),
      h(
        "p",
        { class: "hint", id: "fast-hint" },
        "Access token 20 s, PIN session 60 s, approvals 15 s. The backend is recreated with these ",
        h("code", null, "MockBackend.create"),
        " options on reload; they apply to tokens issued after it. Unlock to watch the access token run out; sign out and in again for a short PIN session too.",
      ),
      h(
        "p",
        { class: "small muted" },
        "Now: ",
        h(
          "span",
          { "data-testid": "lifetimes" },
          `access ${formatSeconds(lifetimes.accessTokenTtlSeconds)} · PIN session ${formatSeconds(lifetimes.pinSessionTtlSeconds)} · approvals ${formatSeconds(lifetimes.reauthTokenTtlSeconds)}`,
          standard ? " (standard)" : fast ? " (fast)" : " (custom)",
        ),
      ),
      h("details", { class: "custom" }, h("summary", null, "Custom lifetimes"), custom),
      h(
        "p",
        { class: "small" },
        h("a", { href: deviceUrl("tablet"), target: "_blank", rel: "noopener" }, "Open a second device ↗"),
        h("span", { class: "muted" }, " (same backend, its own appId)"),
      ),
      resetArea,
    );
  }

  async renderInbox(): Promise<void> {
    if (!this.inbox) return;
    const email = this.app.inboxEmail();
    if (!email) {
      mount(this.inbox, h("p", { class: "muted small" }, "Reset emails appear here after “Forgot PIN?”."));
      return;
    }
    let mail: Awaited<ReturnType<App["backend"]["outbox"]>> = [];
    try {
      mail = await this.app.backend.outbox(email);
    } catch {
      mail = [];
    }
    mount(
      this.inbox,
      h(
        "p",
        { class: "muted small" },
        "What the backend sent to ",
        h("strong", null, email),
        ", newest first.",
      ),
      mail.length === 0
        ? h("p", { class: "empty" }, "No email yet.")
        : h(
            "ul",
            { class: "mail-list", "aria-label": `Emails to ${email}` },
            [...mail].reverse().map((message, index) =>
              h(
                "li",
                { class: "mail" },
                h(
                  "div",
                  { class: "mail-head" },
                  h("span", { class: "mail-from" }, "Pinpay Security"),
                  h(
                    "time",
                    { class: "muted small", datetime: new Date(message.sentAt).toISOString() },
                    formatAgo(message.sentAt),
                  ),
                ),
                h(
                  "p",
                  { class: "mail-subject" },
                  message.subject,
                  index === 0 ? h("span", { class: "badge badge-new" }, "new") : null,
                ),
                h(
                  "p",
                  { class: "small" },
                  "Someone asked to reset the PIN of your Pinpay account. The link works once, for 15 minutes.",
                ),
                h(
                  "a",
                  {
                    class: "btn btn-primary btn-sm",
                    href: `#/reset?token=${encodeURIComponent(message.resetToken)}`,
                  },
                  "Reset PIN",
                ),
                h("p", { class: "mono small muted" }, `reset token ${shorten(message.resetToken, 8)}`),
              ),
            ),
          ),
    );
  }

  /** Updates the countdowns (twice a second). */
  tick(): void {
    const { app } = this;
    const now = Date.now();
    if (this.access) {
      const ttl = app.ctx.lifetimes.accessTokenTtlSeconds;
      const leeway = Math.min(LEEWAY_SECONDS, ttl / 4);
      if ((app.state === "signedIn" || app.state === "pinSetupRequired") && app.accessIssuedAt !== null) {
        const serverExpiry = app.accessIssuedAt + ttl * 1000;
        const usableUntil = serverExpiry - leeway * 1000;
        show(
          this.access,
          `≈ ${formatDuration(usableUntil - now)}`,
          usableUntil - now,
          (ttl - leeway) * 1000,
          `Estimated: timed from this page's sign-in (the token is opaque). The server's expiry is ≈ ${formatClock(serverExpiry)}; the SDK stops using it ${formatSeconds(leeway)} before.`,
        );
      } else {
        show(
          this.access,
          "none",
          0,
          1,
          app.state === "pinRequired"
            ? "Kept in memory only: a reload or its expiry leaves the PIN session, and the PIN unlocks again."
            : "Issued by a password or PIN sign-in; kept in memory only.",
        );
      }
    }
    if (this.session) {
      const session = this.pinSession();
      if (session) {
        show(
          this.session,
          formatDuration(session.expiresAt - now),
          session.expiresAt - now,
          session.expiresAt - session.receivedAt,
          `Exact: the expiry the backend issued, read from localStorage (pinauth:${app.ctx.appId}:v1:pinSession). Ends ${session.expiresAt - now > 12 * 3600_000 ? formatDateTime(session.expiresAt) : `at ${formatClock(session.expiresAt)}`}.`,
        );
      } else {
        show(
          this.session,
          "none",
          0,
          1,
          "Created when this device's PIN is set or reset; a password sign-in renews it.",
        );
      }
    }
  }
}

function countdown(label: string): Countdown {
  const id = label.toLowerCase().replace(/\W+/g, "-");
  const value = h("span", { class: "countdown-value", id: `${id}-left`, "data-testid": `${id}-left` }, "…");
  const bar = h("progress", {
    max: 1000,
    value: 0,
    "aria-labelledby": `${id}-label`,
    class: "countdown-bar",
  });
  const note = h("p", { class: "hint" });
  const el = h(
    "div",
    { class: "countdown" },
    h(
      "div",
      { class: "countdown-head" },
      h("span", { id: `${id}-label`, class: "countdown-label" }, label),
      value,
    ),
    bar,
    note,
  );
  return { value, bar, note, el };
}

function show(c: Countdown, text: string, left: number, total: number, note: string): void {
  if (c.value.textContent !== text) c.value.textContent = text;
  c.bar.value = total > 0 ? Math.max(0, Math.min(1000, Math.round((left / total) * 1000))) : 0;
  c.value.classList.toggle("low", left > 0 && left < Math.min(10_000, total / 4));
  if (c.note.textContent !== note) c.note.textContent = note;
}
