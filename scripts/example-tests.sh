#!/usr/bin/env bash
# End-to-end tests of the demo app (www-example/) against its PRODUCTION build:
#   1. builds the npm package into pkg/ (scripts/pkg.sh), which www-example depends on
#      by name ("pinauth": "file:../pkg");
#   2. installs www-example's locked dependencies (npm ci);
#   3. type-checks and builds the app (npm run build: tsc --noEmit, vite build → dist/);
#   4. runs www-example/e2e/*.test.mjs (node:test + playwright-core driving Debian's
#      /usr/bin/chromium headless) against dist/ served on 127.0.0.1 by www-example/serve.mjs
#      under the app's Content-Security-Policy: the journey of one person (register, PIN
#      setup, reload and unlock, wrong PINs to a lockout, transfers approved with the PIN,
#      change PIN, forgot PIN through the inbox, devices, logout), new devices, two tabs,
#      token expiry; and the README screenshots (docs/demo/app.png, docs/demo/prompt.png).
# A failing test leaves a screenshot and the console log of each open page in
# www-example/e2e/artifacts/. Installs what is missing first (scripts/setup.sh).
# CHROMIUM overrides the browser path.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

bash scripts/setup.sh
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
  || fail "Vite 8 needs Node.js 20.19 or newer (found $(node --version))"

step "build the npm package (scripts/pkg.sh)"
tarball=$(bash scripts/pkg.sh | tail -n 1)
for file in package.json pinauth.js pinauth.d.ts pinauth_bg.wasm; do
  [[ -s pkg/$file ]] || fail "pkg/$file is missing after scripts/pkg.sh (another build of pkg/ running at the same time?)"
done
echo "pkg/ and $tarball"

step "install the example's dependencies (npm ci in www-example)"
(cd www-example && npm ci --no-audit --no-fund --loglevel=error)

step "type-check and build the example for production (npm run build)"
(cd www-example && npm run build)

step "end-to-end tests in headless Chromium"
rm -rf www-example/e2e/artifacts
node --test --test-reporter=spec --test-timeout=120000 www-example/e2e/*.test.mjs \
  || fail "end-to-end tests (screenshots and console logs: www-example/e2e/artifacts/)"

step "example tests passed (README screenshots: docs/demo/app.png, docs/demo/prompt.png)"
