#!/usr/bin/env bash
# Prints the shipped size of both builds: the full package (with the mock backend) and the
# client-only build (--no-default-features). Sizes are of the wasm after the same passes
# as scripts/pkg.sh (wasm-opt, short names: scripts/wasm-opt.sh), plus the JS glue and
# the snippets it imports as written (js.gz) and minified as a bundler ships it (js.min.gz, esbuild --minify; the
# total counts this one, as the other SDKs' published sizes are minified); gzip -9. Usage: scripts/size.sh [--raw] (--raw also
# prints the sizes before wasm-opt). With SIZE_JSON=file, also writes the figures as JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/wasm-opt.sh

gz() { gzip -9 -c "$1" | wc -c; }
# The glue with the snippets it imports (src/web/*.js), bundled into one file. (The glue
# names a snippet twice in the wasm's import object when the wasm imports two of its
# functions directly; the keys hold the same module, which esbuild would warn about.)
min_gz() {
  "$(build_tool esbuild)" --bundle --format=esm --minify --log-level=warning \
    --log-override:duplicate-object-key=silent "$1" | gzip -9 | wc -c
}
# Measures the build in $out and prints its row named $1.
row() {
  wasm_bytes=$(wc -c <"$out/pinauth_bg.wasm")
  wasm_gz=$(gz "$out/pinauth_bg.wasm")
  js=$(find "$out/pinauth.js" "$out/snippets" -name '*.js' -exec cat {} + | gzip -9 | wc -c)
  js_min=$(min_gz "$out/pinauth.js")
  printf '%-12s %10d %10d %10d %10d %10d\n' "$1" "$wasm_bytes" "$wasm_gz" "$js" "$js_min" $((wasm_gz + js_min))
}
json="{"
printf '%-12s %10s %10s %10s %10s %10s\n' build wasm wasm.gz js.gz js.min.gz total.gz
for variant in full client; do
  out="target/size/$variant"
  flags=()
  [ "$variant" = client ] && flags=(--no-default-features)
  build_module "$out" --no-typescript "${flags[@]}" >/dev/null 2>&1
  if [ "${1:-}" = --raw ]; then
    row "$variant-raw"
  fi
  finish_build "$out"
  row "$variant"
  json+="\"$variant\":{\"wasm\":$wasm_bytes,\"wasmGz\":$wasm_gz,\"jsGz\":$js,\"jsMinGz\":$js_min},"
done
if [ -n "${SIZE_JSON:-}" ]; then echo "${json%,}}" > "$SIZE_JSON"; fi
