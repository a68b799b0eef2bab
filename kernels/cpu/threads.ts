// The cpu backend's second core: one worker running the same blocked GEMM (its source shipped as
// text, so it works under tsx, vitest or plain node without a build) over a SharedArrayBuffer
// arena. The kernel API is synchronous, so the main thread posts the job, computes its own half,
// then blocks in Atomics.wait until the worker's half is done. A failing worker reports through
// the control block and the main thread redoes its share; one that never starts is never used.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { MatmulArgs } from '../backend.js';
import { gemmRows } from './gemm_blocked.js';

/** Products smaller than this many multiply-adds are not worth a handoff (~50 µs). */
const SPLIT_MACS = 1 << 20;
const SEQ = 0;
const DONE = 1;
const READY = 2;
const FAILED = 3;

interface Task {
  aOff: number;
  bOff: number;
  cOff: number;
  i0: number;
  i1: number;
}
interface Job {
  buf: SharedArrayBuffer;
  f64: boolean;
  transA: boolean;
  transB: boolean;
  m: number;
  k: number;
  n: number;
  tasks: Task[];
}

const WORKER = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const __name = (f) => f; // esbuild's keepNames helper, should the shipped source reference it
const gemmRows = (${gemmRows.toString()});
const { port, ctrl } = workerData;
const c = new Int32Array(ctrl);
Atomics.store(c, ${READY}, 1);
let seq = 0;
for (;;) {
  Atomics.wait(c, ${SEQ}, seq);
  seq = Atomics.load(c, ${SEQ});
  let msg;
  while (!(msg = receiveMessageOnPort(port))) {}
  const j = msg.message;
  try {
    const T = j.f64 ? Float64Array : Float32Array;
    const v = new T(j.buf);
    for (const t of j.tasks) gemmRows(v, t.aOff, j.transA, v, t.bOff, j.transB, j.m, j.k, j.n, v, t.cOff, t.i0, t.i1);
    Atomics.store(c, ${FAILED}, 0);
  } catch (e) {
    Atomics.store(c, ${FAILED}, 1);
  }
  Atomics.store(c, ${DONE}, seq);
  Atomics.notify(c, ${DONE});
}
`;

class Helper {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(16));
  private readonly port: MessagePort;
  private buf = new SharedArrayBuffer(1 << 20);

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const w = new Worker(WORKER, { eval: true, workerData: { port: port2, ctrl: this.ctrl.buffer }, transferList: [port2] });
    w.unref();
    w.on('error', () => Atomics.store(this.ctrl, READY, 0));
  }

  get ready(): boolean {
    return Atomics.load(this.ctrl, READY) === 1;
  }

  arena(bytes: number): SharedArrayBuffer {
    if (this.buf.byteLength < bytes) this.buf = new SharedArrayBuffer(Math.max(bytes, this.buf.byteLength * 2));
    return this.buf;
  }

  /** Posts `job` and returns a function that waits for it and tells whether it succeeded. */
  post(job: Job): () => boolean {
    this.port.postMessage(job);
    const seq = Atomics.add(this.ctrl, SEQ, 1) + 1;
    Atomics.notify(this.ctrl, SEQ);
    return () => {
      for (let d = Atomics.load(this.ctrl, DONE); d !== seq; d = Atomics.load(this.ctrl, DONE)) Atomics.wait(this.ctrl, DONE, d);
      return Atomics.load(this.ctrl, FAILED) === 0;
    };
  }
}

let helper: Helper | null | undefined;
function getHelper(): Helper | null {
  if (helper === undefined) {
    const v = typeof process !== 'undefined' ? process.env['BAS_THREADS'] : undefined;
    helper = v === '0' || v === '1' || typeof SharedArrayBuffer === 'undefined' ? null : new Helper();
  }
  return helper;
}

/** Whether the second-core worker is up (false with BAS_THREADS=1 or without SharedArrayBuffer). */
export function cpuThreadsReady(): boolean {
  return getHelper()?.ready ?? false;
}

/** Starts the worker ahead of the first big product. */
export function warmCpuThreads(): void {
  getHelper();
}

/** Computes `out` on two threads when the product is big enough; false when it did nothing. */
export function parallelGemm(a: Float32Array, b: Float32Array, args: MatmulArgs, out: Float32Array): boolean {
  const { batch, m, k, n, transA, transB, strideA, strideB } = args;
  if (batch * m * n * k < SPLIT_MACS || (batch === 1 && m < 8)) return false;
  const h = getHelper();
  if (!h || !h.ready) return false;
  const f64 = false;
  const T = Float32Array;
  const aLen = strideA === 0 ? m * k : batch * strideA;
  const bLen = strideB === 0 ? k * n : batch * strideB;
  const bBase = aLen;
  const cBase = aLen + bLen;
  const buf = h.arena((cBase + batch * m * n) * T.BYTES_PER_ELEMENT);
  const v = new T(buf);
  v.set(a.subarray(0, aLen), 0);
  v.set(b.subarray(0, bLen), bBase);
  // the worker takes the second half of the batch, or of the rows of a single product
  const mine: Task[] = [];
  const theirs: Task[] = [];
  for (let p = 0; p < batch; p++) {
    const t = { aOff: p * strideA, bOff: bBase + p * strideB, cOff: cBase + p * m * n };
    if (batch >= 2) (p < batch >> 1 ? mine : theirs).push({ ...t, i0: 0, i1: m });
    else {
      const half = (m >> 3) << 2; // a multiple of 4 keeps both halves on whole tiles
      mine.push({ ...t, i0: 0, i1: half });
      theirs.push({ ...t, i0: half, i1: m });
    }
  }
  const wait = h.post({ buf, f64, transA, transB, m, k, n, tasks: theirs });
  for (const t of mine) gemmRows(v, t.aOff, transA, v, t.bOff, transB, m, k, n, v, t.cOff, t.i0, t.i1);
  if (!wait()) for (const t of theirs) gemmRows(v, t.aOff, transA, v, t.bOff, transB, m, k, n, v, t.cOff, t.i0, t.i1);
  out.set(v.subarray(cBase, cBase + batch * m * n));
  return true;
}
