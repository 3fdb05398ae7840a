// The demo's own settings, kept in localStorage beside the mock backend's state:
// token lifetimes for MockBackend.create, and which simulated device this tab is.

/** localStorage key of the mock backend's state (MockBackend.create({ persistKey })). */
export const PERSIST_KEY = "pinauth-demo";
const SETTINGS_KEY = "pinauth-demo:settings";
const LAST_EMAIL_KEY = "pinauth-demo:last-email";

export interface Lifetimes {
  accessTokenTtlSeconds: number;
  pinSessionTtlSeconds: number;
  reauthTokenTtlSeconds: number;
}

/** The backend's defaults (DESIGN.md): 15 min, 7 days, 5 min. */
export const STANDARD: Lifetimes = {
  accessTokenTtlSeconds: 15 * 60,
  pinSessionTtlSeconds: 7 * 24 * 3600,
  reauthTokenTtlSeconds: 5 * 60,
};

/** Short enough to watch: the access token, then the PIN session, run out. */
export const FAST: Lifetimes = {
  accessTokenTtlSeconds: 20,
  pinSessionTtlSeconds: 60,
  reauthTokenTtlSeconds: 15,
};

export const sameLifetimes = (a: Lifetimes, b: Lifetimes): boolean =>
  a.accessTokenTtlSeconds === b.accessTokenTtlSeconds &&
  a.pinSessionTtlSeconds === b.pinSessionTtlSeconds &&
  a.reauthTokenTtlSeconds === b.reauthTokenTtlSeconds;

const MAX_SECONDS = 365 * 24 * 3600;
const validSeconds = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_SECONDS;

export function loadLifetimes(): Lifetimes {
  try {
    const saved: unknown = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? "null");
    if (saved && typeof saved === "object") {
      const s = saved as Record<string, unknown>;
      const pick = (key: keyof Lifetimes) => (validSeconds(s[key]) ? s[key] : STANDARD[key]);
      return {
        accessTokenTtlSeconds: pick("accessTokenTtlSeconds"),
        pinSessionTtlSeconds: pick("pinSessionTtlSeconds"),
        reauthTokenTtlSeconds: pick("reauthTokenTtlSeconds"),
      };
    }
  } catch {
    // Unreadable settings: the standard lifetimes.
  }
  return { ...STANDARD };
}

export function saveLifetimes(lifetimes: Lifetimes): void {
  if (sameLifetimes(lifetimes, STANDARD)) localStorage.removeItem(SETTINGS_KEY);
  else localStorage.setItem(SETTINGS_KEY, JSON.stringify(lifetimes));
}

export { validSeconds, MAX_SECONDS };

/**
 * This tab's simulated device. `?device=tablet` gives the PinAuth its own appId, so it has
 * its own device identity and PIN: a second device of the same user on the same backend.
 */
export function currentDevice(): { appId: string; name: string | null } {
  const name = new URLSearchParams(location.search).get("device");
  if (name && /^[a-z0-9-]{1,24}$/i.test(name)) {
    return { appId: `pinauth-demo-${name.toLowerCase()}`, name: name.toLowerCase() };
  }
  return { appId: "pinauth-demo", name: null };
}

/** The URL of this page as the simulated device `name` (null: the main device). */
export function deviceUrl(name: string | null): string {
  const url = new URL(location.href);
  url.hash = "";
  if (name) url.searchParams.set("device", name);
  else url.searchParams.delete("device");
  return url.pathname + url.search;
}

export const lastEmail = (): string => localStorage.getItem(LAST_EMAIL_KEY) ?? "";
export const rememberEmail = (email: string): void => {
  if (email) localStorage.setItem(LAST_EMAIL_KEY, email.trim().toLowerCase());
};

/** Every localStorage key of the demo and of the SDK (for "Reset demo"). */
export function demoKeys(): string[] {
  const keys: string[] = [];
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    if (key && (key.startsWith("pinauth-demo") || key.startsWith("pinauth:"))) keys.push(key);
  }
  return keys;
}
