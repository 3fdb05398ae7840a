// Serves the production build (dist/) on 127.0.0.1 under the strict Content-Security-Policy
// the pinauth README promises to work with. Used by scripts/demo.sh and the e2e tests.
//
//   node serve.mjs [--port 8080] [--dir dist]      (PORT in the environment works too)
//   import { serve } from "./serve.mjs"; const s = await serve({ port: 0 }); s.origin; await s.close();
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

export const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json; charset=utf-8",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/** The file under `root` for a URL path, or null when it would leave `root`. */
function inside(root, pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  const path = resolve(root, "." + sep + decoded);
  return path === root || path.startsWith(root + sep) ? path : null;
}

export async function serve({ port = 0, dir = join(here, "dist"), host = "127.0.0.1" } = {}) {
  const root = resolve(dir);
  const server = createServer(async (req, res) => {
    const send = (status, type, body, extra = {}) => {
      res.writeHead(status, {
        "content-type": type,
        "content-security-policy": CSP,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        ...extra,
      });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    try {
      if (req.method !== "GET" && req.method !== "HEAD") return send(405, "text/plain", "method not allowed");
      const { pathname } = new URL(req.url ?? "/", "http://127.0.0.1");
      let file = inside(root, pathname.endsWith("/") ? pathname + "index.html" : pathname);
      if (!file) return send(400, "text/plain", "bad path");
      if (!(await stat(file).catch(() => null))?.isFile()) {
        // Unknown paths without an extension get the app (it routes by the hash).
        if (extname(pathname)) return send(404, "text/plain", `not found: ${pathname}`);
        file = join(root, "index.html");
      }
      // Hashed assets never change; the HTML always revalidates.
      const cache = file.includes(`${sep}assets${sep}`) ? "public, max-age=31536000, immutable" : "no-cache";
      send(200, MIME[extname(file)] ?? "application/octet-stream", await readFile(file), {
        "cache-control": cache,
      });
    } catch (error) {
      send(500, "text/plain", String(error));
    }
  });
  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, ok);
  });
  const address = server.address();
  return {
    origin: `http://${host}:${address.port}`,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const option = (name) => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const port = Number(option("port") ?? process.env.PORT ?? 8080);
  const dir = option("dir") ?? join(here, "dist");
  try {
    await stat(join(dir, "index.html"));
  } catch {
    console.error(`no build in ${dir}: run \`npm run build\` first`);
    process.exit(1);
  }
  try {
    const { origin } = await serve({ port, dir });
    console.log(`Pinpay (pinauth demo) is being served at ${origin}/  (Ctrl+C stops it)`);
  } catch (error) {
    console.error(
      error.code === "EADDRINUSE" ? `port ${port} is in use: set PORT to another port` : String(error),
    );
    process.exit(1);
  }
}
