// Page side of the concurrency test: calls fired together, without awaiting in between
// (double clicks, bursts), on one PinAuth instance. Each burst reports every outcome and
// the order in which the promises settled.
import { MockBackend, PinAuth } from "pinauth";
import { describe, freshEmail } from "./common.js";

const PASSWORD = "correct horse battery";
const PIN = "730519";
const NEW_PIN = "482916";
const WRONG = "730591";

/** Starts every call of `calls` at once; reports outcomes (in call order) and settle order. */
async function burst(calls) {
  const settled = [];
  const promises = calls.map((call, index) => {
    let promise;
    try {
      promise = call();
    } catch (error) {
      settled.push(index);
      return Promise.resolve({ kind: "threw", error: describe(error) });
    }
    return promise.then(
      (value) => (settled.push(index), { kind: "resolved", value: value ?? null }),
      (error) => (settled.push(index), { kind: "rejected", error: describe(error) }),
    );
  });
  return { outcomes: await Promise.all(promises), settled };
}

export async function concurrentCalls() {
  const backend = MockBackend.create();
  const auth = await PinAuth.create({ backend, appId: "concurrent" });
  const email = freshEmail("concurrent");
  const states = [];
  const stopStates = auth.onStateChange((state) => states.push(state));
  const r = {};

  r.register = await burst([() => auth.register(email, PASSWORD), () => auth.register(email, PASSWORD)]);
  r.login = await burst([() => auth.login(email, PASSWORD), () => auth.login(email, PASSWORD)]);
  r.afterLogin = auth.state;
  r.setPin = await burst([() => auth.setPin(PIN), () => auth.setPin(PIN)]);
  r.afterSetPin = auth.state;
  // What `auth` announced so far (later, its 1 s refresh timer may follow the logout of
  // the next instance through the shared storage).
  r.states = [...states];
  stopStates();

  // A later visit: two wrong PINs and the right one, fired together.
  const later = await PinAuth.create({ backend, appId: "concurrent" });
  r.laterState = later.state;
  r.pins = await burst([() => later.loginWithPin(WRONG), () => later.loginWithPin(WRONG), () => later.loginWithPin(PIN)]);
  r.afterPins = later.state;

  // Synchronous calls while a flow is in flight.
  const inFlight = later.reauthenticate(PIN);
  r.syncDuringFlight = {
    state: later.state,
    user: later.user?.email ?? null,
    deviceId: typeof later.deviceId,
    checkPin: later.checkPin(NEW_PIN),
  };
  const unsubscribe = later.onStateChange(() => {});
  unsubscribe();
  r.inFlight = typeof (await inFlight).token;

  // A burst of different flows runs in call order: the PIN changes in the middle.
  r.mixed = await burst([
    () => later.reauthenticate(PIN),
    () => later.changePin(PIN, NEW_PIN),
    () => later.reauthenticate(NEW_PIN),
    () => later.reauthenticate(PIN),
    () => later.loginWithPin(NEW_PIN),
  ]);
  r.afterMixed = later.state;

  // A listener that calls back into the client (and unsubscribes itself) while it is
  // being notified.
  const seen = [];
  const off = later.onStateChange((state) => {
    seen.push({ state, now: later.state, user: later.user === null ? null : "user", check: later.checkPin(PIN).ok });
    later.getAccessToken().catch(() => {});
    off();
  });
  r.logout = await burst([() => later.logout(), () => later.logout(), () => later.getAccessToken()]);
  r.listenerSaw = seen;
  r.afterLogout = later.state;

  // Double-click forgetDevice, then the client is a new device.
  const before = later.deviceId;
  r.forget = await burst([() => later.forgetDevice(), () => later.forgetDevice()]);
  r.newDevice = later.deviceId !== before;
  r.afterForget = later.state;

  // Many clients at once on one backend, each a burst of its own.
  r.many = await burst(
    Array.from({ length: 4 }, (_, i) => async () => {
      const c = await PinAuth.create({ backend, appId: `many-${i}`, storage: "memory" });
      const results = await Promise.all([c.login(email, PASSWORD), c.login(email, PASSWORD)]);
      await c.setPin(NEW_PIN);
      return [...results, c.state];
    }),
  );
  r.devices = (await backend.devices(email)).length;
  return r;
}

/** A backend adapter over `backend` whose answers wait until `open()` is called, and the
 * endpoints it was asked for, in order. */
function gated(backend) {
  let open;
  const gate = new Promise((resolve) => (open = resolve));
  const asked = [];
  return {
    asked,
    open: () => open(),
    async handle(json) {
      asked.push(JSON.parse(json).endpoint);
      await gate;
      return backend.handle(json);
    },
  };
}

/** A logout while an unlock waits for a slow server: signed out at once, its request sent
 * at once, the unlock goes no further, and a login made after the logout signs in after
 * its request. */
export async function logoutWhileWaiting() {
  const backend = MockBackend.create();
  const email = freshEmail("overtaken");
  const first = await PinAuth.create({ backend, appId: "overtaken" });
  await first.register(email, PASSWORD);
  await first.login(email, PASSWORD);
  await first.setPin(PIN);
  first.free();

  const slow = gated(backend);
  const auth = await PinAuth.create({ backend: slow, appId: "overtaken" });
  const r = { before: auth.state };
  const states = [];
  auth.onStateChange((state) => states.push(state));
  const settled = [];
  const settle = (name, promise) =>
    promise.then(
      () => (settled.push(name), "resolved"),
      (error) => (settled.push(name), describe(error)),
    );
  const unlock = settle("unlock", auth.loginWithPin(PIN));
  const logout = settle("logout", auth.logout());
  const login = settle("login", auth.login(email, PASSWORD));
  await new Promise((resolve) => setTimeout(resolve, 50));
  r.whileWaiting = { state: auth.state, states: [...states], settled: [...settled], asked: [...slow.asked] };
  slow.open();
  r.unlock = await unlock;
  r.logout = await logout;
  r.login = await login;
  r.settled = settled;
  r.asked = slow.asked;
  r.after = auth.state;
  r.states = states;
  auth.free();
  return r;
}
