/// <reference path="./wasm-urls.d.ts" />
// The README's esbuild recipe, for both builds: each wasm imported as a URL and handed to
// its `init`.
import init from "pinauth";
import initClient from "pinauth/client";
import wasmUrl from "pinauth/pinauth_bg.wasm";
import clientWasmUrl from "pinauth/client/pinauth_bg.wasm";

const urls: [string, string] = [wasmUrl, clientWasmUrl];
export const ready: Promise<unknown[]> = Promise.all([
  init({ module_or_path: urls[0] }),
  initClient({ module_or_path: urls[1] }),
]);
