// Worker threads in Node: an eval worker (its source shipped as text, so it runs under tsx, vitest
// or plain node without a build), given its data as `workerData`, unref'd so an idle worker
// sitting in Atomics.wait never keeps the process alive.
import { Worker } from 'node:worker_threads';
import type { Threads, WorkerHandle } from '../threads.js';

export const nodeThreads: Threads = {
  spawn(source: string, data: Readonly<Record<string, unknown>>, onError: (e: unknown) => void): WorkerHandle {
    const w = new Worker(`const { workerData } = require('node:worker_threads');\n${source}`, { eval: true, workerData: data });
    w.unref();
    w.on('error', onError);
    return { terminate: () => void w.terminate() };
  },
};
