// The demo bank: a balance and activity per user (localStorage), and transfers that need
// a PIN re-authentication whose token "the bank server" checks with
// backend.validateReauthToken — once, and only before it expires.
import type { ReauthValidation } from "pinauth";
import type { App } from "./main";
import { formatDuration, formatMoney } from "./format";

export interface Entry {
  id: string;
  at: number;
  counterparty: string;
  /** Positive: incoming; negative: outgoing. */
  cents: number;
  status: "done" | "refused";
  detail: string;
}

export interface Approval {
  recipient: string;
  cents: number;
  token: string;
  expiresAt: number;
  /** How many times it was sent to the bank server. */
  submissions: number;
}

export interface Verdict {
  accepted: boolean;
  title: string;
  detail: string;
  validation: ReauthValidation;
}

interface Ledger {
  balance: number;
  entries: Entry[];
}

const DAY = 86_400_000;

function seed(now: number): Ledger {
  return {
    balance: 248_000,
    entries: [
      {
        id: "seed-2",
        at: now - 2 * DAY,
        counterparty: "Corner Coffee",
        cents: -380,
        status: "done",
        detail: "Card payment",
      },
      {
        id: "seed-1",
        at: now - 3 * DAY,
        counterparty: "Contoso Ltd",
        cents: 215_000,
        status: "done",
        detail: "Salary",
      },
    ],
  };
}

export class Bank {
  /** The latest approval (re-auth token) of this page. */
  approval: Approval | null = null;
  verdict: Verdict | null = null;

  constructor(private readonly app: App) {}

  private key(): string | null {
    const uid = this.app.auth.user?.uid;
    return uid ? `pinauth-demo:ledger:${uid}` : null;
  }

  ledger(): Ledger {
    const key = this.key();
    if (!key) return { balance: 0, entries: [] };
    try {
      const saved: unknown = JSON.parse(localStorage.getItem(key) ?? "null");
      if (saved && typeof saved === "object" && Array.isArray((saved as Ledger).entries))
        return saved as Ledger;
    } catch {
      // A fresh ledger below.
    }
    const fresh = seed(Date.now());
    localStorage.setItem(key, JSON.stringify(fresh));
    return fresh;
  }

  private record(entry: Entry): void {
    const key = this.key();
    if (!key) return;
    const ledger = this.ledger();
    ledger.entries.unshift(entry);
    ledger.entries = ledger.entries.slice(0, 30);
    if (entry.status === "done") ledger.balance += entry.cents;
    localStorage.setItem(key, JSON.stringify(ledger));
  }

  /**
   * Asks for the PIN (`promptPin({ mode: "reauth" })`) and keeps the approval; unless
   * `hold`, sends it to the bank server at once. False when the prompt was cancelled.
   */
  async transfer(recipient: string, cents: number, hold: boolean): Promise<boolean> {
    const approval = await this.app.prompt("reauth", {
      title: "Confirm transfer",
      subtitle: `Enter your PIN to send ${formatMoney(cents)} to ${recipient}.`,
    });
    if (!approval) return false;
    this.approval = {
      recipient,
      cents,
      token: approval.token,
      expiresAt: approval.expiresAt,
      submissions: 0,
    };
    this.verdict = null;
    if (!hold) await this.submit();
    return true;
  }

  /** The bank server's side: validates the approval token (which uses it up). A real
   * server compares the token's `uid` (and `deviceId`, if it cares which device) with the
   * user of its own session, not with what the page says, and binds the approval to the
   * transfer itself: a re-auth token proves a recent PIN entry, not what it was for. */
  async submit(): Promise<Verdict | null> {
    const approval = this.approval;
    if (!approval) return null;
    const now = Date.now();
    const validation = await this.app.backend.validateReauthToken(approval.token);
    approval.submissions += 1;
    const uid = this.app.auth.user?.uid;
    const accepted = validation.valid && validation.uid === uid;
    const id = `${now}-${Math.random().toString(36).slice(2, 8)}`;
    let detail: string;
    if (accepted) {
      detail = `${formatMoney(approval.cents)} sent to ${approval.recipient}. The approval was confirmed with the PIN on this device and is now used up.`;
      this.record({
        id,
        at: now,
        counterparty: approval.recipient,
        cents: -approval.cents,
        status: "done",
        detail: "Transfer, PIN confirmed",
      });
    } else {
      // The server only says "invalid"; the page knows why.
      const why =
        approval.submissions > 1
          ? "this approval was already used once (re-auth tokens are single use)"
          : now >= approval.expiresAt
            ? `the approval expired ${formatDuration(now - approval.expiresAt)} ago`
            : "the server does not know this approval";
      detail = `Refused because ${why}. Nothing was sent.`;
      this.record({
        id,
        at: now,
        counterparty: approval.recipient,
        cents: -approval.cents,
        status: "refused",
        detail: `Refused: ${why}`,
      });
    }
    this.verdict = {
      accepted,
      title: accepted ? "Accepted by the bank server" : "Refused by the bank server",
      detail,
      validation,
    };
    return this.verdict;
  }
}
