#!/usr/bin/env bash
# Installs what the tests and the demo need, only what is missing: idempotent, and never
# a prebuilt binary download (everything comes from crates.io or Debian's apt).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '==> %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the rustup target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The shipped module compiles `core` and `alloc` itself (build_module in scripts/wasm-opt.sh).
if ! rustup component list --installed | grep -q '^rust-src'; then
  say "adding the rustup component rust-src"
  rustup component add rust-src
fi

# The wasm-bindgen CLI must be exactly the wasm-bindgen version in Cargo.lock.
[ -f Cargo.lock ] || cargo generate-lockfile
want=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  # Not --locked: one of its locked dependencies is missing from the registry.
  say "installing wasm-bindgen-cli $want (found: ${have:-none}; takes ~3 min)"
  cargo install wasm-bindgen-cli --version "$want" --force
fi

if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack (takes ~2 min)"
  cargo install wasm-pack --locked
fi

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  say "installing Debian's chromium and chromium-driver"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# Debian's binaryen wasm-opt corrupts current wasm-bindgen output; wasm-pack would pick it.
if wasm_opt=$(command -v wasm-opt) && [ "$wasm_opt" = /usr/bin/wasm-opt ]; then
  say "warning: Debian's wasm-opt is on PATH and corrupts wasm-bindgen output: apt-get remove binaryen" >&2
fi
say "setup complete"
