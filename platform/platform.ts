// The platform seam: everything the library needs from its host beyond plain JavaScript (files,
// worker threads, loading CommonJS packages, environment variables, the terminal) is reached
// through one Platform object, so the layers above run unchanged in Node (platform/node, the
// default there) and in a browser (browser.ts, the default in a bundle: package.json's "browser"
// field swaps default.ts for default_browser.ts), or on in-memory files in either (memory.ts).
//
// Synchronous by design: Storage.read() (kernels/backend.ts), file reads and the kernels' worker
// handoff all return values, not promises, which webasm, the cpu backend and WebGL allow. An
// asynchronous backend such as WebGPU (buffer mapAsync) would need an async read path all the
// way up: an `await storage.readAsync()` in Tensor.data's callers (item(), the losses' host-side
// IoU, the samplers' to-image steps, safetensors writes), kernels that stay on the device between
// ops (as the GL modes' pipeline textures do), and async Files (fetch, OPFS) or a preloaded
// MemoryFiles, which is what a browser uses today.
import { defaultPlatform } from './default.js';
import type { Files } from './files.js';
import type { Threads } from './threads.js';

/** A line to rewrite in place (a progress bar); only where output is a terminal. */
export interface Terminal {
  write(text: string): void;
}

export interface Platform {
  /** 'node', 'memory', 'browser' (for messages). */
  readonly name: string;
  readonly files: Files;
  readonly threads: Threads;
  /** Logical cores (os.availableParallelism, navigator.hardwareConcurrency); 1 when unknown. */
  readonly hardwareConcurrency: number;
  /** A CommonJS package by name (gpu.js, whose Node build requires headless-gl): Node's require, or a module the browser bundle registered. */
  loadModule(name: string): unknown;
  /** An environment setting (BAS_THREADS, BAS_BACKEND), or undefined. */
  env(name: string): string | undefined;
  /** A short token unique enough for temporary file names. */
  randomId(): string;
  /**
   * Whether the writer that made `id` (a randomId() of this kind of platform, found in a temporary
   * name) is another one still running, so its temporary files must be left alone: in Node, whether
   * the process whose pid the id starts with runs. False for this process's own ids and unknown ones.
   */
  otherWriterRuns(id: string): boolean;
  /** The folder holding the project's shipped files (models/base), or null where there is none (a browser). */
  readonly projectRoot: string | null;
  /** Where a progress line can be rewritten in place; null when output is a log, CI or a browser. */
  terminal(): Terminal | null;
  /** Peak resident memory of this process in MiB, where the platform can tell. */
  peakMemoryMiB(): number | null;
  /** Resolves once pending events (a Ctrl-C, a redraw) have had their turn. */
  nextTurn(): Promise<void>;
  /**
   * Turns on WebAssembly relaxed SIMD where the host keeps it behind a flag (Node 20's V8), before
   * the GEMM module compiles; absent where it is on by default (Chrome >= 114) or unavailable.
   * The kernels still feature-detect it with WebAssembly.validate.
   */
  enableWasmRelaxedSimd?(): void;
}

let current: Platform | null = null;

/** Installs `p` for everything that follows (files, threads not yet started, modules not yet loaded); returns the previous one. */
export function setPlatform(p: Platform): Platform {
  const previous = getPlatform();
  current = p;
  return previous;
}

/** The installed platform: Node's in Node, the browser's in a browser bundle, unless set. */
export function getPlatform(): Platform {
  // made on first use, so importing the library touches nothing of its host
  if (current === null) current = defaultPlatform();
  return current;
}

/** The installed platform's files. */
export function files(): Files {
  return getPlatform().files;
}
