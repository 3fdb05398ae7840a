import { defineConfig } from "vite";

export default defineConfig({
  build: {
    target: "es2022",
    // The production build is served under a strict Content-Security-Policy (serve.mjs):
    // nothing may be inlined as a data: URL.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    host: "127.0.0.1",
    // "pinauth": "file:../pkg" is a symlink to the package outside this folder; the dev
    // server must be allowed to serve its files (pinauth_bg.wasm).
    fs: { allow: [".", "../pkg"] },
  },
  preview: { host: "127.0.0.1" },
});
