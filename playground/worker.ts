// The playground's Web Worker (bundled by build.ts as a classic worker script): the library runs
// here, off the page's thread, on the browser platform; the model folder is fetched from the files
// the build put beside the page (models/NAME/files.json lists them). Settings arrive as requests.
import { browserPlatform } from '../platform/index.js';
import type { Reply, Request } from './protocol.js';
import { PlaygroundSession } from './worker/session.js';

/** The parts of a worker's global scope used here (the DOM typings describe a page, not a worker). */
interface WorkerScope {
  onmessage: ((e: { data: Request }) => void) | null;
  postMessage(message: Reply, transfer?: Transferable[]): void;
  location: { href: string };
}
const scope = globalThis as unknown as WorkerScope;

async function fetchBytes(url: URL): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`fetching ${url.pathname}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function fetchModel(name: string): Promise<Record<string, Uint8Array>> {
  const root = new URL(`models/${name}/`, scope.location.href);
  const list = JSON.parse(new TextDecoder().decode(await fetchBytes(new URL('files.json', root)))) as string[];
  const bytes = await Promise.all(list.map((rel) => fetchBytes(new URL(rel, root))));
  return Object.fromEntries(list.map((rel, i) => [rel, bytes[i]!]));
}

const session = new PlaygroundSession(
  {
    fetchModel,
    // Web Workers for the kernels' second core where the page is cross-origin isolated
    platform: (files, threads) => browserPlatform({ files, workers: threads }),
    now: () => performance.now(),
  },
  (reply) => scope.postMessage(reply),
);
scope.onmessage = (e) => void session.handle(e.data);
