// The cpu backend's second core: one worker running the same blocked GEMM (its source shipped as
// text, so it works under tsx, vitest or plain node without a build) over a SharedArrayBuffer
// arena. The kernel API is synchronous, so the main thread posts the job and then works through
// it too: the job is cut into units (row ranges of the products) that both threads claim from one
// atomic counter, so a worker slow to wake (the other core busy with another process) costs
// nothing. Every job has a sequence number, and the POSTED slot holds the number of the job that
// is open to the worker: the worker takes job s up with compare-exchange(s -> -s), the main thread
// withdraws it with compare-exchange(s -> 0) once it has claimed every unit itself; only one of
// them wins, and the main thread waits for DONE = s only when the worker won. Tying the slot to
// the number keeps a late-waking worker from taking up a job that was withdrawn or replaced. A
// failing worker reports through FAILED and the main thread redoes the whole job (units overwrite
// their rows, so that is safe); one that never starts is never used.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { MatmulArgs } from '../backend.js';
import { gemmRows } from './gemm_blocked.js';

/** Products smaller than this many multiply-adds are not worth a handoff (~50 µs). */
const SPLIT_MACS = 1 << 20;
/** Units a job is cut into: enough for the two threads to even out. */
const UNITS = 8;
// slots of the control block
const SEQ = 0;
const POSTED = 1;
const READY = 2;
const NEXT = 3;
const FAILED = 4;
const DONE = 5;

interface Task {
  aOff: number;
  bOff: number;
  cOff: number;
  i0: number;
  i1: number;
}
interface Job {
  seq: number;
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
let seen = 0;
for (;;) {
  Atomics.wait(c, ${SEQ}, seen);
  const s = Atomics.load(c, ${SEQ});
  seen = s;
  // messages come in order and only this loop drops them: older ones are withdrawn jobs
  let j;
  for (;;) {
    const msg = receiveMessageOnPort(port);
    if (msg && msg.message.seq === s) { j = msg.message; break; }
  }
  if (Atomics.compareExchange(c, ${POSTED}, s, -s) !== s) continue; // withdrawn or replaced
  try {
    const T = j.f64 ? Float64Array : Float32Array;
    const v = new T(j.buf);
    for (let u = Atomics.add(c, ${NEXT}, 1); u < j.tasks.length; u = Atomics.add(c, ${NEXT}, 1)) {
      const t = j.tasks[u];
      gemmRows(v, t.aOff, j.transA, v, t.bOff, j.transB, j.m, j.k, j.n, v, t.cOff, t.i0, t.i1);
    }
  } catch (e) {
    Atomics.store(c, ${FAILED}, 1);
  }
  Atomics.store(c, ${DONE}, s);
  Atomics.notify(c, ${DONE});
}
`;

class Helper {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(32));
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

  /** Runs every task of `job`, sharing them with the worker; false if the worker failed (redo all). */
  share(job: Omit<Job, 'seq'>, run: (t: Task) => void): boolean {
    const c = this.ctrl;
    const seq = Atomics.load(c, SEQ) + 1;
    this.port.postMessage({ ...job, seq });
    Atomics.store(c, NEXT, 0);
    Atomics.store(c, FAILED, 0);
    Atomics.store(c, POSTED, seq);
    Atomics.store(c, SEQ, seq);
    Atomics.notify(c, SEQ);
    for (let u = Atomics.add(c, NEXT, 1); u < job.tasks.length; u = Atomics.add(c, NEXT, 1)) run(job.tasks[u]!);
    if (Atomics.compareExchange(c, POSTED, seq, 0) === seq) return true;
    for (let d = Atomics.load(c, DONE); d !== seq; d = Atomics.load(c, DONE)) Atomics.wait(c, DONE, d);
    return Atomics.load(c, FAILED) === 0;
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
  const T = Float32Array;
  const aLen = strideA === 0 ? m * k : batch * strideA;
  const bLen = strideB === 0 ? k * n : batch * strideB;
  const bBase = aLen;
  const cBase = aLen + bLen;
  const buf = h.arena((cBase + batch * m * n) * T.BYTES_PER_ELEMENT);
  const v = new T(buf);
  v.set(a.subarray(0, aLen), 0);
  v.set(b.subarray(0, bLen), bBase);
  // row ranges of whole 4-row tiles, about UNITS in all
  const per = Math.max(1, Math.ceil(UNITS / batch));
  const rows = Math.max(4, Math.ceil(m / per / 4) * 4);
  const tasks: Task[] = [];
  for (let p = 0; p < batch; p++) {
    for (let i0 = 0; i0 < m; i0 += rows) tasks.push({ aOff: p * strideA, bOff: bBase + p * strideB, cOff: cBase + p * m * n, i0, i1: Math.min(m, i0 + rows) });
  }
  const run = (t: Task): void => gemmRows(v, t.aOff, transA, v, t.bOff, transB, m, k, n, v, t.cOff, t.i0, t.i1);
  if (!h.share({ buf, f64: false, transA, transB, m, k, n, tasks }, run)) for (const t of tasks) run(t);
  out.set(v.subarray(cBase, cBase + batch * m * n));
  return true;
}
