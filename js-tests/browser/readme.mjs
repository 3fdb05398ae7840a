// Reads the quickstart and other code blocks out of the INSTALLED package's README, and
// the console output the quickstart's comments promise.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The ```js blocks of the README in `pkgDir`, verbatim, in order. */
function jsBlocks(pkgDir) {
  const readme = readFileSync(join(pkgDir, "README.md"), "utf8");
  return [...readme.matchAll(/^```js[ \t]*\r?\n([\s\S]*?)^```[ \t]*$/gm)].map((match) => match[1]);
}

/** The first ```js block of the README in `pkgDir`, verbatim. */
export function quickstartBlock(pkgDir) {
  const [block] = jsBlocks(pkgDir);
  if (block === undefined) throw new Error("the README has no ```js block");
  return block;
}

/** The first ```js block of the README in `pkgDir` that contains `word`, verbatim. */
export function blockWith(pkgDir, word) {
  const block = jsBlocks(pkgDir).find((text) => text.includes(word));
  if (!block) throw new Error(`the README has no \`\`\`js block with ${word}`);
  return block;
}

/**
 * The console line each `console.log(...); // <values>` line of `block` promises, in
 * order. The comment lists the logged values as JavaScript literals: strings are quoted
 * there and print unquoted, so `// "INVALID_PIN" 4` promises the line `INVALID_PIN 4`.
 * Every console.log line must carry such a comment.
 */
export function expectedLines(block) {
  const lines = [];
  block.split(/\r?\n/).forEach((line, index) => {
    if (!line.includes("console.log(")) return;
    const match = /console\.log\(.*\);?\s*\/\/\s*(.+?)\s*$/.exec(line);
    if (!match) throw new Error(`quickstart line ${index + 1} logs without a // expected-value comment: ${line}`);
    const tokens = match[1].match(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\S+/g);
    lines.push(tokens.map(literal).join(" "));
  });
  return lines;
}

/** How console.log prints the literal `token`. */
function literal(token) {
  if (token.startsWith('"')) return JSON.parse(token);
  if (token.startsWith("'")) return JSON.parse(`"${token.slice(1, -1).replace(/"/g, '\\"')}"`);
  if (/^(true|false|null|undefined)$/.test(token) || /^-?\d+(\.\d+)?$/.test(token)) return token;
  throw new Error(`not a literal in a quickstart comment: ${token}`);
}
