// Toast notifications: SDK warnings (onWarning) and the outcome of actions.
import { byId, h } from "./dom";

export type ToastKind = "info" | "success" | "warning" | "error";

const ICONS: Record<ToastKind, string> = { info: "i", success: "✓", warning: "!", error: "×" };

export function toast(kind: ToastKind, title: string, detail?: string, ms = 6500): void {
  const region = byId("toasts");
  const close = h(
    "button",
    { type: "button", class: "toast-close", "aria-label": "Dismiss notification" },
    "×",
  );
  const item = h(
    "div",
    { class: `toast toast-${kind}`, "data-kind": kind },
    h("span", { class: "toast-icon", "aria-hidden": "true" }, ICONS[kind]),
    h("div", { class: "toast-body" }, h("strong", null, title), detail ? h("p", null, detail) : null),
    close,
  );
  const dismiss = () => item.remove();
  close.addEventListener("click", dismiss);
  region.append(item);
  while (region.children.length > 4) region.firstElementChild?.remove();
  if (kind !== "error") setTimeout(dismiss, ms);
  else setTimeout(dismiss, ms * 2);
}
