#!/usr/bin/env bash
# Tests of the npm package as a consumer gets it: builds and packs it (scripts/pkg.sh),
# installs the tarball into a fresh folder, then
#   1. checks the installed files and version (the client-only build in client/ too);
#   2. compiles TypeScript consumers of the whole API and of `pinauth/client` with
#      `tsc --strict` under each module resolution (they must compile), and both builds'
#      wasm imported as URLs; compiles files with one deliberate misuse each
#      (each must fail, with the expected error code), and checks that the declarations
#      have no `any`;
#   3. runs the browser tests (js-tests/browser/*.test.mjs, node:test + playwright-core on
#      /usr/bin/chromium) against the installed package: the README quickstart verbatim,
#      the client-only build on a backend of its own, the error shape, the INVALID_INPUT
#      table, concurrent calls, two devices, and the PIN prompt end to end (strict CSP,
#      axe, keyboard only), which also rewrites the screenshots in docs/screenshots/
#      (PINAUTH_SCREENSHOTS_DIR sends them elsewhere);
#      before them, js-tests/server/*.test.mjs in plain Node: the package on a server
#      that renders the page.
# Stops at the first failure. Needs the Rust/wasm tools of `make setup`, node 20+ and npm;
# installs its own npm dependencies (js-tests/package-lock.json). KEEP_TMP=1 keeps the
# fresh folder; CHROMIUM overrides the browser path.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pinauth-js-tests.XXXXXX")
cleanup() {
  if [[ "${KEEP_TMP:-}" == 1 ]]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

step "build and pack the npm package (scripts/pkg.sh)"
tarball=$(bash scripts/pkg.sh | tail -n 1)
[[ "$tarball" == /*.tgz && -f "$tarball" ]] || fail "scripts/pkg.sh printed no tarball path (got: '$tarball')"
echo "$tarball"

step "install the test tools (npm ci in js-tests)"
(cd js-tests && npm ci --no-audit --no-fund --loglevel=error)
tsc=("$root/js-tests/node_modules/.bin/tsc")

step "install the tarball into a fresh folder"
consumer="$tmp/consumer"
mkdir -p "$consumer"
(
  cd "$consumer"
  npm init -y >/dev/null
  npm pkg set type=module
  npm install --no-audit --no-fund --loglevel=error "$tarball"
)
installed="$consumer/node_modules/pinauth"
version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
for file in package.json pinauth.js pinauth.d.ts pinauth_bg.wasm README.md LICENSE \
  client/package.json client/pinauth.js client/pinauth.d.ts client/pinauth_bg.wasm; do
  [[ -s "$installed/$file" ]] || fail "the installed package has no $file"
done
# The glue's own imports (the snippets, such as the PIN prompt's view) ship too, in both
# builds (the client-only one in client/).
for build in . client; do
  glue="$installed/$build/pinauth.js"
  for file in $(grep -oE "from '\./snippets/[^']+'" "$glue" | sed -E "s/^from '\.\/(.*)'$/\1/"); do
    [[ -s "$installed/$build/$file" ]] || fail "the installed package has no $build/$file, which $build/pinauth.js imports"
  done
  grep -q "from './snippets/" "$glue" || fail "$build/pinauth.js imports no snippet: the PIN prompt's view is missing"
done
if grep -q "class MockBackend" "$installed/client/pinauth.js"; then
  fail "client/pinauth.js has the mock backend"
fi
node -e '
  const [dir, version] = process.argv.slice(1);
  const pkg = require(dir + "/package.json");
  const problems = [];
  if (pkg.name !== "pinauth") problems.push(`name ${pkg.name}`);
  if (pkg.version !== version) problems.push(`version ${pkg.version}, Cargo.toml says ${version}`);
  if (pkg.type !== "module") problems.push(`type ${pkg.type}`);
  for (const entry of [".", "./client"]) {
    if (Object.keys(pkg.exports?.[entry] ?? {})[0] !== "types") problems.push(`exports["${entry}"] does not list types first`);
  }
  // client/ as a folder of its own, for the tools that do not read `exports`.
  const client = require(dir + "/client/package.json");
  if (client.type !== "module") problems.push(`client/package.json: type ${client.type}`);
  if (client.main !== "./pinauth.js" || client.types !== "./pinauth.d.ts") problems.push("client/package.json: main or types wrong");
  if (problems.length) { console.error(problems.join("\n")); process.exit(1); }
  console.log(`pinauth@${pkg.version}: package.json, pinauth.js, pinauth.d.ts, pinauth_bg.wasm, README.md, LICENSE, client/`);
' "$installed" "$version" || fail "the installed package.json is wrong"

step "TypeScript: the consumers of the whole API and of the client-only build compile with tsc --strict"
ts_dir="$consumer/ts"
mkdir -p "$ts_dir"
cp js-tests/types/*.ts "$ts_dir/"
tsc_flags=(--strict --noEmit --target es2022 --lib es2022,dom --skipLibCheck false)
bundler=(--module esnext --moduleResolution bundler)
for file in consumer.ts client-consumer.ts; do
  (cd "$ts_dir" && "${tsc[@]}" "${tsc_flags[@]}" "${bundler[@]}" "$file") \
    || fail "$file does not compile (moduleResolution bundler)"
  echo "$file: ok (moduleResolution bundler)"
  (cd "$ts_dir" && "${tsc[@]}" "${tsc_flags[@]}" "${bundler[@]}" --exactOptionalPropertyTypes \
    --noUncheckedIndexedAccess --verbatimModuleSyntax --isolatedModules "$file") \
    || fail "$file does not compile with the stricter options"
  echo "$file: ok (plus exactOptionalPropertyTypes, noUncheckedIndexedAccess, verbatimModuleSyntax)"
  (cd "$ts_dir" && "${tsc[@]}" "${tsc_flags[@]}" --module nodenext --moduleResolution nodenext "$file") \
    || fail "$file does not compile (moduleResolution nodenext)"
  echo "$file: ok (moduleResolution nodenext)"
  # `node10` reads no `exports`: `pinauth/client` through client/package.json.
  (cd "$ts_dir" && "${tsc[@]}" "${tsc_flags[@]}" --module esnext --moduleResolution node10 "$file") \
    || fail "$file does not compile (moduleResolution node10)"
  echo "$file: ok (moduleResolution node10)"
done
# Both builds' wasm imported as URLs with the README's one declaration (its esbuild recipe).
for resolution in bundler nodenext node10; do
  module=esnext
  [[ $resolution == nodenext ]] && module=nodenext
  (cd "$ts_dir" && "${tsc[@]}" "${tsc_flags[@]}" --module "$module" --moduleResolution "$resolution" wasm-urls.ts) \
    || fail "wasm-urls.ts does not compile (moduleResolution $resolution)"
  echo "wasm-urls.ts: ok (moduleResolution $resolution)"
done

step "TypeScript: each deliberate misuse fails to compile, for the expected reason"
count=0
for file in js-tests/types/wrong*.ts; do
  name=$(basename "$file")
  expected=$(sed -n 's|^// expect-error: \(TS[0-9]*\).*|\1|p' "$file" | head -n 1)
  [[ -n "$expected" ]] || fail "$name has no '// expect-error: TSxxxx' line"
  message=$(sed -n 's|^// expect-message: ||p' "$file" | head -n 1)
  if output=$(cd "$ts_dir" && "${tsc[@]}" "${tsc_flags[@]}" "${bundler[@]}" "$name" 2>&1); then
    fail "$name compiled, but it must not"
  fi
  errors=$(grep -E '^[^ ].*error TS[0-9]+' <<<"$output" || true)
  if [[ $(grep -c . <<<"$errors") -ne 1 || "$errors" != "$name("*"error $expected:"* ]]; then
    printf '%s\n' "$output" >&2
    fail "$name must fail with exactly one $expected error in itself"
  fi
  if [[ -n "$message" ]] && ! grep -qF -- "$message" <<<"$output"; then
    printf '%s\n' "$output" >&2
    fail "$name: the $expected error does not say \"$message\""
  fi
  echo "$name: fails as expected: ${errors#*error }"
  count=$((count + 1))
done
[[ $count -ge 1 ]] || fail "no js-tests/types/wrong*.ts file"

step "TypeScript: no \`any\` in the installed declarations"
node js-tests/types/no-any.mjs "$installed/pinauth.d.ts" "$installed/client/pinauth.d.ts" \
  || fail "the declarations have an \`any\` type"

step "on a server (Node, no DOM): the import is safe, and calls before init() fail clearly"
PINAUTH_PKG_DIR="$installed" node --test --test-reporter=spec js-tests/server/*.test.mjs \
  || fail "server tests"

step "browser tests against the installed package (headless Chromium)"
PINAUTH_PKG_DIR="$installed" node --test --test-reporter=spec --test-timeout=120000 \
  js-tests/browser/*.test.mjs || fail "browser tests"

step "js tests passed"
