#!/usr/bin/env bash
# The demo in one command: installs what is missing (scripts/setup.sh: the Rust/wasm
# toolchain, Chromium), builds the npm package (scripts/pkg.sh), installs the example's
# locked dependencies (npm ci in www-example), builds the example for production, and
# serves it on http://127.0.0.1:$PORT (default 8080) until Ctrl+C. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
port="${PORT:-8080}"

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

[[ "$port" =~ ^[0-9]+$ && "$port" -ge 1 && "$port" -le 65535 ]] || fail "PORT must be a port number (got '$port')"
command -v node >/dev/null && command -v npm >/dev/null || fail "the demo needs Node.js 20.19+ and npm"
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
  || fail "Vite 8 needs Node.js 20.19 or newer (found $(node --version))"

step "install what is missing (scripts/setup.sh)"
bash scripts/setup.sh

step "build the npm package (scripts/pkg.sh)"
bash scripts/pkg.sh >/dev/null

step "install the example's dependencies (npm ci in www-example)"
(cd www-example && npm ci --no-audit --no-fund --loglevel=error)

step "build the example for production (www-example/dist)"
(cd www-example && npm run build)

step "serve it"
exec node www-example/serve.mjs --port "$port"
