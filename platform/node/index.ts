// The Node platform, and the only library code that touches Node's built-ins (with files.ts and
// threads.ts beside it): the disk, worker threads, require for gpu.js's CommonJS build (which
// itself requires headless-gl), process.env, the terminal, the process's memory figures and V8's
// relaxed-SIMD flag.
// platform/default.ts makes it the default in Node.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import type { Platform, Terminal } from '../platform.js';
import { NodeFiles } from './files.js';
import { nodeThreads } from './threads.js';

export function nodePlatform(): Platform {
  const randomId = (): string => `${process.pid}-${randomBytes(4).toString('hex')}`;
  let require: NodeRequire | null = null;
  return {
    name: 'node',
    files: new NodeFiles(randomId),
    threads: nodeThreads,
    hardwareConcurrency: availableParallelism(),
    loadModule(name: string): unknown {
      require ??= createRequire(import.meta.url);
      return require(name);
    },
    env: (name) => process.env[name],
    randomId,
    otherWriterRuns(id: string): boolean {
      const m = /^(\d+)-/.exec(id);
      if (m === null || Number(m[1]) === process.pid) return false;
      try {
        process.kill(Number(m[1]), 0);
        return true;
      } catch (e) {
        // EPERM: it runs, as another user
        return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'EPERM';
      }
    },
    // the repository: models/base lies two folders up from here
    projectRoot: resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'),
    terminal(): Terminal | null {
      return process.stdout.isTTY === true ? { write: (text) => void process.stdout.write(text) } : null;
    },
    peakMemoryMiB: () => Math.round(process.resourceUsage().maxRSS / 1024),
    nextTurn: () => new Promise((r) => setImmediate(r)),
    // Node 20's V8 has relaxed SIMD (the GEMM's fused multiply-add) behind this flag; a flag set
    // at run time applies to modules compiled after it (Node 22's V8 has it on already)
    enableWasmRelaxedSimd: () => setFlagsFromString('--experimental-wasm-relaxed-simd'),
  };
}
