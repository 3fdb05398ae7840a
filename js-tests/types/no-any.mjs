// Fails when a declaration file has an `any` type anywhere (comments and strings aside):
// `node no-any.mjs <file.d.ts>...`. Uses the TypeScript parser, so `any` inside a comment
// or a string literal does not count, and every real one is reported with its line.
import ts from "typescript";
import { readFileSync } from "node:fs";

let found = 0;
for (const path of process.argv.slice(2)) {
  const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (node.kind === ts.SyntaxKind.AnyKeyword) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      console.error(`${path}:${line + 1}: \`any\` in: ${source.text.split("\n")[line].trim()}`);
      found++;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
if (found) process.exit(1);
console.log(`no \`any\` in ${process.argv.slice(2).join(", ")}`);
