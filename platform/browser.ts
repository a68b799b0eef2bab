// The browser platform: in-memory files (weights and images arrive as ArrayBuffers, outputs are
// collected from the same MemoryFiles), settings from an object instead of process.env, modules
// the bundle registered, and Web Workers for the kernels' second core where this thread may block
// on them (inside a worker, with SharedArrayBuffer, i.e. a cross-origin-isolated page); on a
// page's main thread, which may not Atomics.wait, every kernel runs single-threaded.
import { MemoryFiles, memoryPlatform, type MemoryPlatformOptions } from './memory.js';
import type { Platform } from './platform.js';
import { SINGLE_THREAD, type Threads, type WorkerHandle } from './threads.js';

/** The parts of a browser's globals this file uses (absent in Node and in a bare vm context). */
interface BrowserGlobals {
  Worker?: new (url: string) => { postMessage(data: unknown): void; terminate(): void; onerror: ((e: unknown) => void) | null };
  Blob?: new (parts: string[], opts: { type: string }) => object;
  URL?: { createObjectURL(blob: object): string; revokeObjectURL(url: string): void };
  navigator?: { hardwareConcurrency?: number };
  importScripts?: unknown;
  document?: unknown;
}

const g = globalThis as BrowserGlobals;

/** Whether this thread may block on Atomics.wait: a worker, not a page (whose main thread may not). */
function mayBlock(): boolean {
  return g.document === undefined && typeof g.importScripts === 'function';
}

/** Web Workers from Blob URLs; the worker's data arrives as its first message. */
export function webWorkerThreads(): Threads {
  const { Worker, Blob, URL } = g;
  if (!Worker || !Blob || !URL || typeof SharedArrayBuffer === 'undefined' || !mayBlock()) return SINGLE_THREAD;
  return {
    spawn(source: string, data: Readonly<Record<string, unknown>>, onError: (e: unknown) => void): WorkerHandle {
      const text = `self.onmessage = (e) => {\nself.onmessage = null;\nconst workerData = e.data;\n${source}\n};`;
      const url = URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
      const w = new Worker(url);
      w.onerror = onError;
      w.postMessage(data);
      return {
        terminate: () => {
          w.terminate();
          URL.revokeObjectURL(url);
        },
      };
    },
  };
}

/** Packages the bundle carries (gpu.js's browser build), for every browser platform made after. */
const bundled: Record<string, unknown> = {};

/** Registers a package the bundle carries, so loadModule finds it without each caller passing it. */
export function provideModule(name: string, module: unknown): void {
  bundled[name] = module;
}

export interface BrowserPlatformOptions extends Omit<MemoryPlatformOptions, 'name' | 'threads' | 'hardwareConcurrency'> {
  /** Use Web Workers where possible (default true); false keeps every kernel on this thread. */
  workers?: boolean;
}

/** A browser's platform: MemoryFiles, Web Workers or a single thread, no terminal; the bundle's packages plus `modules`. */
export function browserPlatform(opts: BrowserPlatformOptions = {}): Platform {
  return memoryPlatform({
    ...opts,
    files: opts.files ?? new MemoryFiles(),
    modules: { ...bundled, ...opts.modules },
    name: 'browser',
    threads: opts.workers === false ? SINGLE_THREAD : webWorkerThreads(),
    hardwareConcurrency: g.navigator?.hardwareConcurrency ?? 1,
  });
}
