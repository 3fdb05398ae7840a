// Fixes to the declarations wasm-bindgen generates, checked by the TypeScript tests:
// - `MockBackend.create`'s options are optional (wasm-bindgen cannot mark an
//   explicitly typed parameter optional), in the build that has it (not `client/`);
// - the module's raw exports (`InitOutput`, typed with `any`) are internal: `init` is
//   typed as returning `Promise<unknown>`, so no `any` is left in a public signature;
// - the classes declare `[Symbol.dispose]()`, which needs the `esnext.disposable` lib: a
//   consumer compiling with `lib: ["es2022", "dom"]` and without `skipLibCheck` would get
//   TS2550 inside these declarations, so they reference that lib themselves.
import { readFileSync, writeFileSync } from "node:fs";

const path = process.argv[2];
let dts = readFileSync(path, "utf8");
const replace = (from, to) => {
  if (!dts.includes(from)) throw new Error(`finish-dts: not found: ${from}`);
  dts = dts.replace(from, to);
};
if (dts.includes("export class MockBackend ")) {
  replace("static create(options: MockBackendOptions): MockBackend;",
          "static create(options?: MockBackendOptions): MockBackend;");
}
dts = dts.replace(/export interface InitOutput \{[\s\S]*?\n\}\n/, "export type InitOutput = unknown;\n");
if (/\bany\b/.test(dts.replace(/\/\*[\s\S]*?\*\//g, ""))) {
  throw new Error("finish-dts: `any` is left in the declarations");
}
if (dts.includes("[Symbol.dispose]") && !dts.includes('<reference lib="esnext.disposable" />')) {
  dts = '/// <reference lib="esnext.disposable" />\n' + dts;
}
writeFileSync(path, dts);
