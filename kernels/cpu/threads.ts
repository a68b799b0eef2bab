// The cpu backend's second core: one worker running the same blocked GEMM (its source shipped as
// text to the platform's worker threads, platform/threads.ts) over a shared WebAssembly memory
// used as a growable shared arena. The kernel API is synchronous, so the main thread posts the
// job and then works through it too: the job is cut into units (row ranges of the products) that
// both threads claim from one atomic counter, so a worker slow to wake (the other core busy with
// another process) costs nothing. A job travels entirely through shared memory: its scalars in
// the control block, its unit table at the start of the arena, the operands after it. Every job
// has a sequence number, and the POSTED slot holds the number of the job that is open to the
// worker: the worker takes job s up with compare-exchange(s -> -s), the main thread withdraws it
// with compare-exchange(s -> 0) once it has claimed every unit itself; only one of them wins, and
// the main thread waits for DONE = s only when the worker won. Tying the slot to the number keeps
// a late-waking worker from taking up a job that was withdrawn or replaced (the job's slots and
// table are only rewritten after it is withdrawn or done). A failing worker reports through
// FAILED and the main thread redoes the whole job (units overwrite their rows, so that is safe);
// one that never starts is never used.
import { getPlatform } from '../../platform/platform.js';
import type { MatmulArgs } from '../backend.js';
import { gemmRows } from './gemm_blocked.js';

/** Products smaller than this many multiply-adds are not worth a handoff (~50 µs). */
const SPLIT_MACS = 1 << 20;
/** Units a job is cut into: enough for the two threads to even out. */
const UNITS = 8;
// slots of the control block: the protocol, then the job's scalars
const SEQ = 0;
const POSTED = 1;
const READY = 2;
const NEXT = 3;
const FAILED = 4;
const DONE = 5;
const TRANS_A = 6;
const TRANS_B = 7;
const M = 8;
const K = 9;
const N = 10;
const COUNT = 11;
const SLOTS = 12;
/** Int32 entries of a unit in the arena's table: A, B and C offsets (floats), rows [i0, i1). */
const UNIT_INTS = 5;
const PAGE = 65536;
/** The arena's ceiling (4 GiB, wasm32's); pages are only committed as it grows. */
const MAX_PAGES = 65536;

interface Task {
  aOff: number;
  bOff: number;
  cOff: number;
  i0: number;
  i1: number;
}

const WORKER = `
const __name = (f) => f; // esbuild's keepNames helper, should the shipped source reference it
const gemmRows = (${gemmRows.toString()});
const { memory, ctrl } = workerData;
const c = new Int32Array(ctrl);
Atomics.store(c, ${READY}, 1);
let seen = 0;
for (;;) {
  Atomics.wait(c, ${SEQ}, seen);
  const s = Atomics.load(c, ${SEQ});
  seen = s;
  if (Atomics.compareExchange(c, ${POSTED}, s, -s) !== s) continue; // withdrawn or replaced
  try {
    // the arena may have grown since the last job: fresh views
    const v = new Float32Array(memory.buffer);
    const t = new Int32Array(memory.buffer);
    const transA = c[${TRANS_A}] === 1, transB = c[${TRANS_B}] === 1;
    const m = c[${M}], k = c[${K}], n = c[${N}], count = c[${COUNT}];
    for (let u = Atomics.add(c, ${NEXT}, 1); u < count; u = Atomics.add(c, ${NEXT}, 1)) {
      const q = ${UNIT_INTS} * u;
      gemmRows(v, t[q], transA, v, t[q + 1], transB, m, k, n, v, t[q + 2], t[q + 3], t[q + 4]);
    }
  } catch (e) {
    Atomics.store(c, ${FAILED}, 1);
  }
  Atomics.store(c, ${DONE}, s);
  Atomics.notify(c, ${DONE});
}
`;

class Helper {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  private readonly memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true } as WebAssembly.MemoryDescriptor);
  readonly started: boolean;

  constructor() {
    const worker = getPlatform().threads.spawn(WORKER, { memory: this.memory, ctrl: this.ctrl.buffer }, () => Atomics.store(this.ctrl, READY, 0));
    this.started = worker !== null;
  }

  get ready(): boolean {
    return Atomics.load(this.ctrl, READY) === 1;
  }

  /** The arena (a Float32Array over the shared memory), grown to at least `floats` values. */
  arena(floats: number): Float32Array {
    const have = this.memory.buffer.byteLength;
    if (floats * 4 > have) this.memory.grow(Math.ceil((floats * 4 - have) / PAGE));
    return new Float32Array(this.memory.buffer);
  }

  /** Runs every task of a job, sharing them with the worker; false if the worker failed (redo all). */
  share(args: { transA: boolean; transB: boolean; m: number; k: number; n: number }, tasks: readonly Task[], run: (t: Task) => void): boolean {
    const c = this.ctrl;
    const table = new Int32Array(this.memory.buffer);
    tasks.forEach((t, u) => table.set([t.aOff, t.bOff, t.cOff, t.i0, t.i1], UNIT_INTS * u));
    c[TRANS_A] = args.transA ? 1 : 0;
    c[TRANS_B] = args.transB ? 1 : 0;
    c[M] = args.m;
    c[K] = args.k;
    c[N] = args.n;
    c[COUNT] = tasks.length;
    const seq = Atomics.load(c, SEQ) + 1;
    Atomics.store(c, NEXT, 0);
    Atomics.store(c, FAILED, 0);
    Atomics.store(c, POSTED, seq);
    Atomics.store(c, SEQ, seq);
    Atomics.notify(c, SEQ);
    for (let u = Atomics.add(c, NEXT, 1); u < tasks.length; u = Atomics.add(c, NEXT, 1)) run(tasks[u]!);
    if (Atomics.compareExchange(c, POSTED, seq, 0) === seq) return true;
    for (let d = Atomics.load(c, DONE); d !== seq; d = Atomics.load(c, DONE)) Atomics.wait(c, DONE, d);
    return Atomics.load(c, FAILED) === 0;
  }
}

let helper: Helper | null | undefined;
function getHelper(): Helper | null {
  if (helper === undefined) {
    const p = getPlatform();
    const v = p.env('BAS_THREADS');
    const h = v === '0' || v === '1' || typeof SharedArrayBuffer === 'undefined' || p.hardwareConcurrency < 2 ? null : new Helper();
    helper = h?.started ? h : null;
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
  // the arena: the unit table, then A, B and C
  const per = Math.max(1, Math.ceil(UNITS / batch));
  const rows = Math.max(4, Math.ceil(m / per / 4) * 4);
  const count = batch * Math.ceil(m / rows);
  const aBase = UNIT_INTS * count;
  const aLen = strideA === 0 ? m * k : batch * strideA;
  const bLen = strideB === 0 ? k * n : batch * strideB;
  const bBase = aBase + aLen;
  const cBase = bBase + bLen;
  const v = h.arena(cBase + batch * m * n);
  v.set(a.subarray(0, aLen), aBase);
  v.set(b.subarray(0, bLen), bBase);
  // row ranges of whole 4-row tiles, about UNITS in all
  const tasks: Task[] = [];
  for (let p = 0; p < batch; p++) {
    for (let i0 = 0; i0 < m; i0 += rows) tasks.push({ aOff: aBase + p * strideA, bOff: bBase + p * strideB, cOff: cBase + p * m * n, i0, i1: Math.min(m, i0 + rows) });
  }
  const run = (t: Task): void => gemmRows(v, t.aOff, transA, v, t.bOff, transB, m, k, n, v, t.cOff, t.i0, t.i1);
  if (!h.share({ transA, transB, m, k, n }, tasks, run)) for (const t of tasks) run(t);
  out.set(v.subarray(cBase, cBase + batch * m * n));
  return true;
}
