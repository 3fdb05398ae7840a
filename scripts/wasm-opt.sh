# Sourced by the build scripts: the build tools from npm (tools/) and the passes that
# shrink a build.

# The shipped module names the sources of its panic locations by their paths in the crate
# registry, not by this machine's (added to the flags of .cargo/config.toml; cargo's
# `trim-paths` is not stable yet).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}/registry/src/="

# `build_module OUT_DIR [WASM-PACK ARGS...]` builds the shipped module (feature
# `standalone`) with wasm-pack into OUT_DIR. `core` and `alloc` are compiled with it
# (`-Zbuild-std`, from the rustup component `rust-src`) with `-Cpanic=immediate-abort`:
# a panic traps where it happens, so no panic message, location or `core::fmt` code is
# left in the module (the dependencies' `unwrap`s and `core`'s own checks kept about
# 4 KB of them), and `core` is compiled at the crate's `opt-level = "z"`. Both are
# unstable flags of the stable compiler (`RUSTC_BOOTSTRAP=1`), used for this build only:
# the tests, clippy and every other build use the precompiled standard library.
# `-Zlocation-detail=none` drops the source locations `#[track_caller]` code still passes
# along (`RefCell`'s and `core`'s checks: 0.5 KB, and the build machine's rustup paths).
# Without the `reference-types` feature, wasm-bindgen keeps the page's objects in a table
# of its JavaScript glue instead of the module's `externref` table, and the module loses
# the `externref` shims of its exports and imports (1.0 KB; the glue +0.06 KB).
build_module() {
  local out="$1"
  shift
  # wasm-bindgen adds snippets but never removes one a rebuild no longer imports.
  rm -rf "$out/snippets"
  RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=core,alloc \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Ctarget-feature=-reference-types" \
    wasm-pack build --release --target web --out-dir "$out" --no-pack "$@" --features standalone
}

# `build_tool NAME` prints the path of a tool from tools/ (wasm-opt, esbuild), installing
# tools/ first if it is missing.
build_tool() {
  local tools
  tools="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)"
  if [ ! -x "$tools/node_modules/.bin/wasm-opt" ] || [ ! -x "$tools/node_modules/.bin/esbuild" ]; then
    (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
  if [ ! -x "$tools/node_modules/.bin/$1" ]; then
    echo "error: $1 is not installed in tools/ (npm ci failed?)" >&2
    return 1
  fi
  echo "$tools/node_modules/.bin/$1"
}

# `optimize_wasm FILE` shrinks a wasm-bindgen output in place with wasm-opt from the npm
# `binaryen` package, never Debian's, whose wasm-opt corrupts current wasm-bindgen output.
# Names and debug info are dropped; `--converge` repeats the passes while they still
# shrink it (0.4 KB gzip, ~5 s).
optimize_wasm() {
  "$(build_tool wasm-opt)" -Oz --converge --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$1" -o "$1.opt"
  mv "$1.opt" "$1"
}

# `finish_build DIR` finishes the wasm-bindgen output in DIR (pinauth_bg.wasm, pinauth.js)
# as the package ships it: wasm-opt, short names for the links between the wasm and its
# glue (scripts/short-names.mjs), the PIN prompt (src/web/prompt.js, which the glue's
# appendix imports) with its stylesheet minified (scripts/min-styles.mjs), that appendix
# (scripts/glue-guards.js: `promptPin`, and the guards against calls before `init()` and
# on freed objects), and V8's compile hint on top of the glue and its snippets:
# `//# allFunctionsCalledOnLoad` (Chrome 136+; other engines ignore it) has their
# functions compiled off the main thread while the module loads, rather than on it at
# their first call, which `PinAuth.create` makes (1.5–3 ms of its first run, in
# bench/create-time.md). A bundler drops the comment with the others. The declarations of
# the raw wasm exports (pinauth_bg.wasm.d.ts) go: the glue never imports them, and under
# TypeScript's `node10` resolution they would type an import of the wasm's URL.
finish_build() {
  local scripts file
  scripts="$(dirname "${BASH_SOURCE[0]}")"
  rm -f "$1/pinauth_bg.wasm.d.ts"
  optimize_wasm "$1/pinauth_bg.wasm"
  mkdir -p "$1/snippets"
  cp "$scripts/../src/web/prompt.js" "$1/snippets/prompt.js"
  node "$scripts/short-names.mjs" "$1"
  node "$scripts/min-styles.mjs" "$1"
  cat "$scripts/glue-guards.js" >> "$1/pinauth.js"
  while IFS= read -r -d '' file; do
    { echo '//# allFunctionsCalledOnLoad'; cat "$file"; } > "$file.hinted"
    mv "$file.hinted" "$file"
  done < <(find "$1" -name '*.js' -print0)
}
