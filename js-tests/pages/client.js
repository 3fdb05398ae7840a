// Page side of the client-only build's test: `pinauth/client` (no MockBackend) on a
// backend it reaches only through `handle(requestJson)`, as a page in production reaches
// its server. The server here is the full build's MockBackend, behind an adapter that
// sees every request as text.
import { MockBackend, PinAuth as FullPinAuth } from "pinauth";
import * as client from "pinauth/client";
import { outcome, freshEmail } from "./common.js";

const PASSWORD = "correct horse battery";

export async function clientFlows() {
  const r = { exports: Object.keys(client).sort() };
  await client.default();
  const server = MockBackend.create();
  const endpoints = [];
  const backend = {
    handle(requestJson) {
      endpoints.push(JSON.parse(requestJson).endpoint);
      return server.handle(requestJson);
    },
  };
  const email = freshEmail("client-only");

  // First visit: sign-up, password login, PIN setup.
  const first = await client.PinAuth.create({ backend, appId: "client-only" });
  r.firstState = first.state;
  await first.register(email, PASSWORD);
  r.login = await first.login(email, PASSWORD);
  await first.setPin("730519");
  r.afterSetPin = first.state;
  r.user = first.user;
  first.free();

  // A later visit: the PIN alone, a wrong one counted by the server.
  const visit = await client.PinAuth.create({ backend, appId: "client-only" });
  r.visitState = visit.state;
  r.wrongPin = await outcome(() => visit.loginWithPin("264801"));
  r.wrongPinIsClientError = await visit.loginWithPin("264801").then(() => false, (e) => client.isPinAuthError(e));
  r.unlock = await outcome(() => visit.loginWithPin("730519"));
  r.afterUnlock = visit.state;
  const reauth = await visit.reauthenticate("730519");
  r.validation = await server.validateReauthToken(reauth.token);
  r.deviceId = visit.deviceId;

  // The same device in the full build: one identity in the browser, whichever build reads it.
  const full = await FullPinAuth.create({ backend, appId: "client-only" });
  r.fullDeviceId = full.deviceId;
  r.fullState = full.state;
  full.free();

  // Its PIN prompt: the dialog opens, and freeing the client closes it.
  const prompt = outcome(() => visit.promptPin({ mode: "reauth" }));
  r.dialogOpen = document.querySelector("pinauth-prompt") !== null;
  visit.free();
  r.prompt = await prompt;
  r.dialogAfter = document.querySelector("pinauth-prompt") !== null;

  r.noBackend = await outcome(() => client.PinAuth.create({ appId: "client-only" }));
  r.endpoints = [...new Set(endpoints)].sort();
  server.free();
  return r;
}

/** The npm README's `pinauth/client` block (served as /readme-client.js by the test, with
 * its `auth` exported), its `fetch("/pinauth")` answered in the page by a MockBackend as a
 * server would answer it; then sign-up, login, PIN setup and an unlock through it. */
export async function readmeClient() {
  const server = MockBackend.create();
  const posts = [];
  const pageFetch = window.fetch;
  window.fetch = async (url, init) => {
    if (url !== "/pinauth") return pageFetch(url, init);
    posts.push({ method: init.method, type: init.headers["content-type"] });
    return new Response(await server.handle(init.body), { headers: { "content-type": "application/json" } });
  };
  try {
    const { auth } = await import("/readme-client.js");
    const email = freshEmail("readme-client");
    const r = { created: auth.state };
    await auth.register(email, PASSWORD);
    r.login = await auth.login(email, PASSWORD);
    await auth.setPin("730519");
    const deviceId = auth.deviceId;
    auth.free();
    const visit = await client.PinAuth.create({ backend: { handle: (json) => server.handle(json) }, appId: "shop" });
    r.sameDevice = visit.deviceId === deviceId;
    r.visit = visit.state;
    r.unlock = await outcome(() => visit.loginWithPin("730519"));
    r.after = visit.state;
    visit.free();
    r.posts = posts.length;
    r.postShape = posts[0];
    return r;
  } finally {
    window.fetch = pageFetch;
    server.free();
  }
}
