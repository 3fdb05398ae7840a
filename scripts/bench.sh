#!/usr/bin/env bash
# `make bench`: sizes of both builds, native figures, and the browser figures from one
# headless Chromium run; prints the table with pass/miss per budget and writes
# BENCHMARKS.md. `--quick` takes a few samples and writes nothing (the test command runs
# it so the harness cannot rot; it asserts no times).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/wasm-opt.sh
quick=()
[ "${1:-}" = --quick ] && quick=(--quick)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "==> sizes (both builds, after wasm-opt)"
SIZE_JSON="$work/size.json" bash scripts/size.sh

echo "==> native figures"
cargo bench --quiet --bench native -- "${quick[@]}" > "$work/native.json"
cat "$work/native.json"

echo "==> browser figures (headless Chromium)"
build_module target/bench-pkg --no-typescript --features bench >/dev/null 2>&1
finish_build target/bench-pkg
(cd bench && npm ci --no-audit --no-fund --loglevel=error)
node bench/run.mjs "${quick[@]}" > "$work/browser.json"

echo
if [ ${#quick[@]} -eq 0 ]; then
  node bench/report.mjs "$work/size.json" "$work/native.json" "$work/browser.json" --write
  echo "(written to BENCHMARKS.md)"
else
  node bench/report.mjs "$work/size.json" "$work/native.json" "$work/browser.json"
fi
