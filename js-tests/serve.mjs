// A tiny static server for the browser tests, on 127.0.0.1 and a free port:
//   /pinauth/<file>  the INSTALLED package (a fresh folder's node_modules/pinauth)
//   /pages/<file>    the test pages and page-side scenario modules (js-tests/pages)
//   any path given in `extra`: an in-memory file (e.g. the README quickstart block).
// A request with the query flag `?csp` (e.g. /pages/prompt.html?csp) is answered with the
// strict Content-Security-Policy header STRICT_CSP, the policy the PIN prompt must live under.
// Usage as a module: `const server = await serve({ pkgDir, extra }); server.origin; await server.close();`
// Usage by hand:     `node js-tests/serve.mjs <dir with node_modules/pinauth or the package dir>`
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { existsSync } from "node:fs";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const pagesDir = join(here, "pages");

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".ts": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

/** The policy of a page requested with `?csp`: no inline script or style, no eval. */
export const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";

/** The file under `root` named by `rest`, or null when it would escape `root`. */
function inside(root, rest) {
  const path = resolve(root, "." + sep + decodeURIComponent(rest));
  return path === root || path.startsWith(root + sep) ? path : null;
}

/**
 * Starts the server. `pkgDir` is the installed package directory; `extra` maps absolute
 * URL paths to `{ type, body }`.
 */
export async function serve({ pkgDir, extra = {} }) {
  const roots = { "/pinauth/": resolve(pkgDir), "/pages/": resolve(pagesDir) };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const { pathname } = url;
    const strict = url.searchParams.has("csp");
    const send = (status, type, body) => {
      const headers = { "content-type": type, "cache-control": "no-store" };
      if (strict) headers["content-security-policy"] = STRICT_CSP;
      res.writeHead(status, headers);
      res.end(req.method === "HEAD" ? undefined : body);
    };
    try {
      if (req.method !== "GET" && req.method !== "HEAD") return send(405, "text/plain", "method not allowed");
      if (Object.hasOwn(extra, pathname)) {
        const { type, body } = extra[pathname];
        return send(200, type, body);
      }
      if (pathname === "/favicon.ico") return send(204, "text/plain", "");
      for (const [prefix, root] of Object.entries(roots)) {
        if (!pathname.startsWith(prefix)) continue;
        const file = inside(root, pathname.slice(prefix.length));
        if (file && (await stat(file).catch(() => null))?.isFile()) {
          return send(200, MIME[extname(file)] ?? "application/octet-stream", await readFile(file));
        }
      }
      send(404, "text/plain", `not found: ${pathname}`);
    } catch (error) {
      send(500, "text/plain", String(error));
    }
  });
  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", ok);
  });
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? ".");
  const installed = join(dir, "node_modules", "pinauth");
  const pkgDir = existsSync(installed) ? installed : dir;
  const { origin } = await serve({ pkgDir });
  console.log(`serving ${pkgDir} at ${origin}/pinauth/ and the test pages at ${origin}/pages/harness.html`);
  console.log(`the PIN prompt page under the strict CSP: ${origin}/pages/prompt.html?csp`);
}
