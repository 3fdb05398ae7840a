// Imports the README quickstart (served verbatim at /quickstart.js) as a module: the
// import settles once its top-level await chain has run to the end, or failed.
window.unhandled = [];
window.addEventListener("unhandledrejection", (event) => {
  window.unhandled.push(String(event.reason?.stack ?? event.reason));
});
window.quickstart = import("/quickstart.js").then(
  () => ({ ok: true }),
  (error) => ({ ok: false, error: String(error?.stack ?? error), code: error?.code }),
);
