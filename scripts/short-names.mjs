// Renames the links between a wasm-bindgen module and its JS glue to short names, in both
// files, in place: every import of the glue module (`__wbg_<name>_<hash>`) and every
// export the glue calls (`pinauth_login`, `wasm_bindgen__convert__closures_____invoke__h…`)
// gets a name like `$a7`; `memory` keeps its name (callers of the init function may read
// it). The names are opaque either way, and neither gzip nor a minifier can shorten them:
// they are object keys and property names in the glue, most with 16 hex digits of hash.
// The glue's own exports (classes, functions) keep their names: only the keys of its
// import object and its `wasm.<export>` accesses change.
// Usage: node scripts/short-names.mjs DIR   (DIR holds pinauth_bg.wasm and pinauth.js)
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
const wasmPath = join(dir, "pinauth_bg.wasm");
const gluePath = join(dir, "pinauth.js");
const bytes = readFileSync(wasmPath);
let glue = readFileSync(gluePath, "utf8");
const glueModule = "./pinauth_bg.js";

/** Reads an unsigned LEB128 at `at`: [value, next offset]. */
function leb(at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    if (byte === undefined) throw new Error("truncated wasm");
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
}

function encodeLeb(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Buffer.from(out);
}

function encodeName(text) {
  const utf8 = Buffer.from(text, "utf8");
  return Buffer.concat([encodeLeb(utf8.length), utf8]);
}

function readName(at) {
  const [len, start] = leb(at);
  return [bytes.toString("utf8", start, start + len), start + len];
}

/** Skips a value type (a single byte, or a typed reference with its heap type). */
function skipValueType(at) {
  const type = bytes[at];
  return type === 0x63 || type === 0x64 ? leb(at + 1)[1] : at + 1;
}

/** Skips resizable limits: a flags byte, the minimum, and a maximum when flagged. */
function skipLimits(at) {
  const flags = bytes[at];
  if (flags > 7) throw new Error(`unknown limits flags ${flags}`);
  let next = leb(at + 1)[1];
  if (flags & 1) next = leb(next)[1];
  return next;
}

/** Skips an import's description after its kind byte. */
function skipImport(kind, at) {
  switch (kind) {
    case 0: return leb(at)[1]; // function: type index
    case 1: return skipLimits(skipValueType(at)); // table: element type, limits
    case 2: return skipLimits(at); // memory
    case 3: return skipValueType(at) + 1; // global: type, mutability
    case 4: return leb(at + 1)[1]; // tag: attribute, type index
    default: throw new Error(`unknown import kind ${kind}`);
  }
}

// The exports the glue calls; the others (and `memory`) keep their names.
const glueUses = new Set([...glue.matchAll(/\bwasm\.([A-Za-z_$][\w$]*)/g)].map((m) => m[1]));
let count = 0;
/** `$` and a base-36 number: not a name wasm-bindgen gives. */
const shortName = () => `$${(count++).toString(36)}`;
const importNames = new Map();
const exportNames = new Map();
const rename = (names, name) => {
  if (!names.has(name)) names.set(name, shortName());
  return names.get(name);
};

/**
 * A section that is a vector of entries, rewritten: `entry(at)` returns an entry's new
 * bytes and where the next one starts.
 */
function vector(start, end, what, entry) {
  const [entries, first] = leb(start);
  const parts = [encodeLeb(entries)];
  let at = first;
  for (let i = 0; i < entries; i++) {
    const [part, next] = entry(at);
    parts.push(part);
    at = next;
  }
  if (at !== end) throw new Error(`the ${what} section did not parse to its end`);
  return Buffer.concat(parts);
}

/** An import entry, named shortly when it is one of the glue module's. */
function importEntry(at) {
  const [module, fieldAt] = readName(at);
  const [field, kindAt] = readName(fieldAt);
  const descEnd = skipImport(bytes[kindAt], kindAt + 1);
  const name = module === glueModule ? rename(importNames, field) : field;
  return [Buffer.concat([encodeName(module), encodeName(name), bytes.subarray(kindAt, descEnd)]), descEnd];
}

/** An export entry, named shortly when the glue calls it. */
function exportEntry(at) {
  const [name, kindAt] = readName(at);
  const indexEnd = leb(kindAt + 1)[1];
  const short = glueUses.has(name) && name !== "memory" ? rename(exportNames, name) : name;
  return [Buffer.concat([encodeName(short), bytes.subarray(kindAt, indexEnd)]), indexEnd];
}

if (bytes.readUInt32LE(0) !== 0x6d736100 || bytes.readUInt32LE(4) !== 1) {
  throw new Error(`${wasmPath} is not a version 1 wasm module`);
}
const sections = [bytes.subarray(0, 8)];
let at = 8;
while (at < bytes.length) {
  const id = bytes[at];
  const [size, start] = leb(at + 1);
  const end = start + size;
  if (end > bytes.length) throw new Error("a wasm section runs past the end of the file");
  const payload = id === 2 ? vector(start, end, "import", importEntry)
    : id === 7 ? vector(start, end, "export", exportEntry) : null;
  sections.push(payload ? Buffer.concat([Buffer.from([id]), encodeLeb(payload.length), payload]) : bytes.subarray(at, end));
  at = end;
}

// The import object's keys (`<name>: function(`) and the accesses `wasm.<export>`; every
// renamed name must be found there.
const uses = new Map();
const swap = (names, name, write) => {
  const short = names.get(name);
  if (short === undefined) return null;
  uses.set(short, (uses.get(short) ?? 0) + 1);
  return write(short);
};
glue = glue.replace(/^(\s+)([A-Za-z_$][\w$]*)(: function\()/gm, (whole, indent, name, rest) =>
  swap(importNames, name, (short) => indent + short + rest) ?? whole);
glue = glue.replace(/\bwasm\.([A-Za-z_$][\w$]*)/g, (whole, name) =>
  swap(exportNames, name, (short) => `wasm.${short}`) ?? whole);
const missing = [...importNames.values(), ...exportNames.values()].filter((short) => !uses.has(short));
if (missing.length > 0) {
  const old = [...importNames, ...exportNames].filter(([, short]) => missing.includes(short)).map(([name]) => name);
  throw new Error(`renamed names the glue does not use: ${old.join(", ")}`);
}

if (importNames.size === 0) throw new Error(`no imports of ${glueModule}: is this wasm-bindgen output?`);

// The result must link: every import of the glue module has a key in the import object,
// and every `wasm.<name>` the glue reads is an export (the module is compiled to check).
const shrunk = Buffer.concat(sections);
const linked = new WebAssembly.Module(shrunk);
const keys = new Set([...glue.matchAll(/^\s+([\w$]+): function\(/gm)].map((m) => m[1]));
const exported = new Set(WebAssembly.Module.exports(linked).map((e) => e.name));
const unlinked = [
  ...WebAssembly.Module.imports(linked)
    .filter((i) => i.module === glueModule && !keys.has(i.name)).map((i) => `import ${i.name}`),
  ...[...glue.matchAll(/\bwasm\.([A-Za-z_$][\w$]*)/g)].map((m) => m[1])
    .filter((name) => !exported.has(name)).map((name) => `export ${name}`),
];
if (unlinked.length > 0) throw new Error(`the rewritten glue does not link: ${unlinked.slice(0, 5).join(", ")}`);

writeFileSync(wasmPath, shrunk);
writeFileSync(gluePath, glue);
console.error(`short-names: ${importNames.size} imports and ${exportNames.size} exports renamed`);
