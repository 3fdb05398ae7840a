// Helpers shared by the page-side scenario modules.
import init, { isPinAuthError } from "pinauth";

await init();

/** What a thrown or rejected value looks like, as plain JSON for the Node side. */
export function describe(error) {
  const isObject = typeof error === "object" && error !== null;
  return {
    isPinAuthError: isPinAuthError(error),
    instanceofError: error instanceof Error,
    name: isObject ? error.name : undefined,
    code: isObject ? error.code : undefined,
    message: isObject ? error.message : String(error),
    attemptsRemaining: isObject ? error.attemptsRemaining : undefined,
    retryAfterSeconds: isObject ? error.retryAfterSeconds : undefined,
    reason: isObject ? error.reason : undefined,
    cause: isObject && error.cause !== undefined ? String(error.cause) : undefined,
    hasStack: isObject && typeof error.stack === "string",
  };
}

/**
 * Runs `fn` and reports how it ended: "returned" / "threw" for a synchronous result,
 * "resolved" / "rejected" for a promise (with the error described), "pending" for a
 * promise still unsettled after `timeoutMs`.
 */
export async function outcome(fn, timeoutMs = 10_000) {
  let result;
  try {
    result = fn();
  } catch (error) {
    return { kind: "threw", error: describe(error) };
  }
  if (!(result instanceof Promise)) return { kind: "returned", value: safe(result) };
  let timer;
  const pending = new Promise((ok) => {
    timer = setTimeout(() => ok({ kind: "pending" }), timeoutMs);
  });
  const settled = result.then(
    (value) => ({ kind: "resolved", value: safe(value) }),
    (error) => ({ kind: "rejected", error: describe(error) }),
  );
  try {
    return await Promise.race([settled, pending]);
  } finally {
    clearTimeout(timer);
  }
}

function safe(value) {
  try {
    return JSON.parse(JSON.stringify(value ?? null));
  } catch {
    return String(value);
  }
}

/** A fresh account name, so scenarios never collide. */
let counter = 0;
export const freshEmail = (tag) => `${tag}-${Date.now()}-${++counter}@example.com`;
