#!/usr/bin/env bash
# Builds the npm package into pkg/: `wasm-pack build --target web`, wasm-opt -Oz (npm
# binaryen), short names between the wasm and its glue and the guard against calls on freed
# objects (see scripts/wasm-opt.sh), the same for the client-only build (no `MockBackend`:
# `pinauth/client`, for pages whose backend is a server) into pkg/client/, then
# the overlay from pkg-template/ (package.json with Cargo.toml's version, README, LICENSE),
# then a declaration clean-up (see scripts/finish-dts.mjs) and client/package.json. Prints
# the path of `npm pack`'s tarball.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/wasm-opt.sh

build_module pkg >&2
finish_build pkg
build_module pkg/client --no-default-features >&2
finish_build pkg/client
version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
cp pkg-template/README.md pkg-template/LICENSE pkg/
node -e '
  const fs = require("fs");
  const pkg = JSON.parse(fs.readFileSync("pkg-template/package.json", "utf8"));
  pkg.version = process.argv[1];
  fs.writeFileSync("pkg/package.json", JSON.stringify(pkg, null, 2) + "\n");
' "$version"
node scripts/finish-dts.mjs pkg/pinauth.d.ts
node scripts/finish-dts.mjs pkg/client/pinauth.d.ts
rm -f pkg/.gitignore pkg/client/.gitignore
# For the tools that do not read `exports` (Parcel 2 by default, TypeScript's `node10`
# resolution): `pinauth/client` as a folder with a package.json of its own. Node and the
# bundlers that read `exports` take only its `type` (the nearest package.json's).
cat > pkg/client/package.json <<'JSON'
{
  "type": "module",
  "main": "./pinauth.js",
  "types": "./pinauth.d.ts",
  "sideEffects": false
}
JSON
(cd pkg && npm pack --silent --pack-destination .. ) | sed "s|^|$PWD/|"
