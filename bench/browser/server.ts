// A small static HTTP server for the browser tests and benchmark: their pages (test/browser/,
// bench/browser/), the built package (dist/, build/*.wasm), the inputs they fetch (corpus/) and
// Binaryen (only fetched when a page asks for opt >= 1). Every response carries the COOP/COEP headers that make the page
// cross-origin isolated (SharedArrayBuffer and shared WebAssembly.Memory with atomics), except
// under /plain/, which serves the same files without them (a page that is not isolated).
// It logs every path asked for, so the test can tell what the page loaded.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";

/** Top-level folders (and files) of the repository the page may read; everything else is 404. */
const ALLOWED = ["test/browser/", "bench/browser/", "dist/", "build/maps.wasm", "build/maps.unshared.wasm", "corpus/", "node_modules/binaryen/"];

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".data": "text/plain; charset=utf-8",
};

/** The headers of cross-origin isolation (https://web.dev/articles/coop-coep). */
export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export interface StaticServer {
  readonly origin: string;
  /** Paths requested so far, in order (without the /plain prefix). */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startServer(root: string): Promise<StaticServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    serve(root, req, res, requests).catch((err: Error) => {
      res.writeHead(500, { "Content-Type": "text/plain" }).end(String(err.message));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

async function serve(root: string, req: IncomingMessage, res: ServerResponse, requests: string[]): Promise<void> {
  let path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
  const plain = path.startsWith("/plain/");
  if (plain) path = path.slice("/plain".length);
  requests.push(path);
  const relative = normalize(path).replace(/^[/\\]+/, "");
  const headers: Record<string, string> = plain ? {} : { ...ISOLATION_HEADERS };
  if (relative.split(sep).includes("..") || !ALLOWED.some((a) => relative.startsWith(a))) {
    res.writeHead(404, { ...headers, "Content-Type": "text/plain" }).end(`not served: ${path}`);
    return;
  }
  let body: Buffer;
  try {
    body = await readFile(join(root, relative));
  } catch {
    res.writeHead(404, { ...headers, "Content-Type": "text/plain" }).end(`no such file: ${path}`);
    return;
  }
  headers["Content-Type"] = TYPES[extname(relative)] ?? "application/octet-stream";
  headers["Cache-Control"] = "no-store";
  res.writeHead(200, headers).end(body);
}
