// Minifies the PIN prompt's stylesheet in a built package, in place: the `STYLES`
// template literal of snippets/prompt.js (src/web/prompt.js, copied there by
// finish_build) loses its comments and the whitespace CSS does not need (a minifier of
// the JavaScript keeps a string as it is). Only whitespace next to `{ } ; >` goes, and
// runs of it become one space, so selectors and values mean what they meant, custom
// properties and `var()` values (kept as written) included:
// js-tests/browser/prompt.test.mjs compares the shipped rules with the source's in
// Chromium. Fails when it finds no stylesheet to minify.
// Usage: node scripts/min-styles.mjs DIR   (DIR holds pinauth.js and snippets/)
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const path = join(process.argv[2], "snippets", "prompt.js");
const source = readFileSync(path, "utf8");
const pattern = /const STYLES = `([^`$\\]*)`;/;
const match = pattern.exec(source);
if (!match) throw new Error(`min-styles: no STYLES template literal in ${path}`);
const minified = match[1]
  .replace(/\/\*[\s\S]*?\*\//g, "")
  .replace(/\s+/g, " ")
  .replace(/ ?([{};>]) ?/g, "$1")
  .replace(/;}/g, "}")
  .trim();
writeFileSync(path, source.replace(pattern, () => `const STYLES = \`${minified}\`;`));
