// `npm run playground`: build the page (build.ts), then serve it on localhost (serve.ts) and print
// the URL. The port: --port N, else the PORT environment variable, else 5173; a free one when taken.
import { relative } from 'node:path';
import { buildPlayground, ROOT } from './build.js';
import { serveFolder } from './serve.js';

/** The port asked for, or a one-line reason naming the flag or variable. */
export function portOf(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): number {
  const i = argv.findIndex((a) => a === '--port' || a.startsWith('--port='));
  const unknown = argv.find((a, j) => a.startsWith('-') && j !== i);
  if (unknown !== undefined) throw new Error(`unknown flag ${unknown} (npm run playground -- --port N)`);
  const [raw, what] = i >= 0 ? [argv[i]!.includes('=') ? argv[i]!.slice(7) : argv[i + 1], '--port'] : [env.PORT, 'PORT'];
  if (raw === undefined) {
    if (i >= 0) throw new Error('--port needs a number');
    return 5173;
  }
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${what} must be a port number 0..65535, got "${raw}"`);
  return port;
}

if (process.argv[1] !== undefined && /main\.ts$/.test(process.argv[1])) {
  try {
    const port = portOf(process.argv.slice(2), process.env);
    const built = await buildPlayground();
    const served = await serveFolder(built.dir, { port });
    if (served.note) console.log(served.note);
    console.log(`playground: serving ${relative(ROOT, built.dir)} at ${served.url} (Ctrl-C to stop)`);
  } catch (e) {
    console.error(`playground: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}
