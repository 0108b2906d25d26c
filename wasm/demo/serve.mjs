// A tiny static server for the demo and the browser tests (no
// dependencies): serves the wasm/ folder, so the demo is at /demo/ and
// the package at /pkg/. `node wasm/demo/serve.mjs [PORT]` (default 8080;
// 0 picks a free port); it prints the address.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
};

export function serve(port = 8080, host = "127.0.0.1") {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    let rel = decodeURIComponent(url.pathname);
    if (rel === "/") {
      res.writeHead(302, { location: "/demo/" });
      return res.end();
    }
    if (rel.endsWith("/")) rel += "index.html";
    const file = path.join(root, rel);
    const allowed = ["demo", "pkg"].some((d) => file.startsWith(path.join(root, d) + path.sep));
    if (!allowed) {
      res.writeHead(404).end("not found");
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await serve(Number(process.argv[2] ?? 8080));
  const { port } = server.address();
  console.log(`converge demo: http://127.0.0.1:${port}/demo/ (serving ${root}/demo and ${root}/pkg; Ctrl-C stops)`);
}
