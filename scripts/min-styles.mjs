// Minifies the PIN prompt's stylesheet in a built package, in place: the `STYLES`
// template literal of snippets/**/src/web/prompt.js loses its comments and the whitespace
// CSS does not need (a minifier of the JavaScript keeps a string as it is). Only
// whitespace next to `{ } ; >` goes, and runs of it become one space, so selectors and
// values mean what they meant, custom properties and `var()` values (kept as written)
// included: js-tests/browser/prompt.test.mjs compares the shipped rules with the
// source's in Chromium. Fails when it finds no stylesheet to minify.
// Usage: node scripts/min-styles.mjs DIR   (DIR holds pinauth.js and snippets/)
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const snippets = join(process.argv[2], "snippets");
const files = readdirSync(snippets, { recursive: true })
  .map(String)
  .filter((path) => path.endsWith(join("src", "web", "prompt.js")));
if (files.length !== 1) throw new Error(`min-styles: expected one prompt.js in ${snippets}, found ${files.length}`);
const path = join(snippets, files[0]);
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
