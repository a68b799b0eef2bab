// Driving the playground's worker session in-process, as the page drives it through a Web Worker:
// the tiny model's folder in memory, a session on the memory platform, every reply collected, and
// a wait for the reply a test expects.
import { MemoryFiles, memoryPlatform, setPlatform, type Platform } from '../../platform/index.js';
import { tinyModel, writeModelFolder } from '../../playground/model_folder.js';
import type { Reply, Request } from '../../playground/protocol.js';
import { PlaygroundSession } from '../../playground/worker/session.js';

/** The tiny model's folder, path -> bytes, as the page would fetch it. */
export function tinyModelFiles(seed = 0): Record<string, Uint8Array> {
  const mem = new MemoryFiles();
  const previous = setPlatform(memoryPlatform({ files: mem }));
  try {
    writeModelFolder('/tiny', tinyModel(seed));
  } finally {
    setPlatform(previous);
  }
  return Object.fromEntries(Object.entries(mem.snapshot('/tiny')).map(([p, d]) => [p.slice('/tiny/'.length), d]));
}

export interface Driver {
  session: PlaygroundSession;
  replies: Reply[];
  send(req: Request): Promise<void>;
  /** Resolves with the first reply from now on (or already among those after `from`) that `pick` accepts; fails on an error reply. */
  until<T extends Reply>(pick: (r: Reply) => r is T, from?: number, timeoutMs?: number): Promise<T>;
  of<K extends Reply['type']>(type: K): Extract<Reply, { type: K }>[];
  restore(): void;
}

export function drive(platform: (files: MemoryFiles) => Platform = (files) => memoryPlatform({ files })): Driver {
  const replies: Reply[] = [];
  const before = setPlatform(memoryPlatform());
  const model = tinyModelFiles();
  const session = new PlaygroundSession({ fetchModel: async () => model, platform }, (r) => replies.push(r));
  return {
    session,
    replies,
    send: (req) => session.handle(req),
    async until(pick, from = 0, timeoutMs = 60_000) {
      const t0 = Date.now();
      for (;;) {
        const bad = replies.slice(from).find((r) => r.type === 'error');
        if (bad && bad.type === 'error') throw new Error(`session error on ${bad.request}: ${bad.message}`);
        const hit = replies.slice(from).find(pick);
        if (hit) return hit;
        if (Date.now() - t0 > timeoutMs) throw new Error(`no such reply within ${timeoutMs} ms; got ${replies.map((r) => r.type).join(', ')}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    of: (type) => replies.filter((r) => r.type === type) as never,
    restore: () => setPlatform(before),
  };
}
