# Sourced by the build scripts: `optimize_wasm FILE` shrinks a wasm-bindgen output in place
# with wasm-opt from the npm `binaryen` package (tools/), never Debian's, whose wasm-opt
# corrupts current wasm-bindgen output. Names and debug info are dropped.
optimize_wasm() {
  local tools
  tools="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)"
  if [ ! -x "$tools/node_modules/.bin/wasm-opt" ]; then
    (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
  "$tools/node_modules/.bin/wasm-opt" -Oz --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$1" -o "$1.opt"
  mv "$1.opt" "$1"
}
