// The playground's tiny static server: files under one folder, GET and HEAD only, no listing, no
// path outside the folder. It sends the two headers that make the page cross-origin isolated
// (COOP same-origin, COEP require-corp), so the worker may use SharedArrayBuffer and start the
// kernels' second-core Web Workers. The port asked for, or a free one when that is taken.
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.safetensors': 'application/octet-stream',
};

export interface Served {
  server: Server;
  port: number;
  url: string;
  /** Set when the port asked for was taken and another was used. */
  note: string | null;
  close(): Promise<void>;
}

/** The file under `root` that `urlPath` names, or null when it leaves the folder or is not a file. */
function resolveFile(root: string, urlPath: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!);
  } catch {
    return null;
  }
  if (path.endsWith('/')) path += 'index.html';
  const full = normalize(join(root, path));
  if (full !== root && !full.startsWith(root.endsWith(sep) ? root : root + sep)) return null;
  try {
    return statSync(full).isFile() ? full : null;
  } catch {
    return null;
  }
}

function handler(root: string) {
  return (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void => {
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-store' };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
      return;
    }
    const file = resolveFile(root, req.url ?? '/');
    if (file === null) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${req.url}\n`);
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': statSync(file).size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (e: Error): void => reject(e);
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      const a = server.address();
      resolve(typeof a === 'object' && a !== null ? a.port : port);
    });
  });
}

export async function serveFolder(root: string, opts: { port?: number; host?: string } = {}): Promise<Served> {
  const host = opts.host ?? '127.0.0.1';
  const want = opts.port ?? 5173;
  const server = createServer(handler(normalize(root)));
  let note: string | null = null;
  let port: number;
  try {
    port = await listen(server, want, host);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    port = await listen(server, 0, host);
    note = `port ${want} is taken; using ${port}`;
  }
  return {
    server,
    port,
    url: `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/`,
    note,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
