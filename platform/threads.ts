// Worker threads as the kernels use them: a worker runs a self-contained script (plain JavaScript,
// no imports) over shared memory, and the main thread blocks on Atomics.wait for its last unit of
// work. Node runs it as an eval worker (platform/node); a browser as a Web Worker from a Blob URL,
// and only where this thread may block (a worker itself: a page's main thread may not wait).

/** A started worker. It never keeps the process alive; `terminate` ends it. */
export interface WorkerHandle {
  terminate(): void;
}

export interface Threads {
  /**
   * Starts a worker running `source`, a classic script body in which the constant `workerData`
   * holds `data` (SharedArrayBuffers, shared WebAssembly memories and modules, numbers). Null when
   * this platform cannot run one that the calling thread may then wait for; the caller then works
   * alone. `onError` hears of a worker that failed to start or died.
   */
  spawn(source: string, data: Readonly<Record<string, unknown>>, onError: (e: unknown) => void): WorkerHandle | null;
}

/** No workers: every kernel runs on the calling thread. */
export const SINGLE_THREAD: Threads = { spawn: () => null };
