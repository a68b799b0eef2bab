// Single-precision GEMM on the SIMD micro-kernel: operands are packed into panels inside one wasm
// memory (zero-padded to the 4 x 8 tile, transposes absorbed by the packing), the kernel fills a
// padded C, and the result is copied out. Big products are split with a worker on the second
// core; the API stays synchronous because the main thread blocks on Atomics.wait for the worker's
// half after doing its own.
import { Worker } from 'node:worker_threads';
import { gemmModuleBytes, MAX_PAGES, MR, NR, PAGE } from './gemm_module.js';
import { CTRL, WORKER_SOURCE } from './worker_source.js';

type GemmFn = (ap: number, bp: number, cp: number, i0: number, i1: number, np: number, k: number, ldc: number) => void;

/** Products below this many multiply-adds stay on one thread: a handoff costs tens of µs. */
const SPLIT_MACS = 1 << 19;

export function simdSupported(): boolean {
  try {
    return WebAssembly.validate(gemmModuleBytes(false));
  } catch {
    return false;
  }
}

function threadsWanted(): boolean {
  const v = typeof process !== 'undefined' ? process.env['BAS_THREADS'] : undefined;
  return v !== '0' && v !== '1';
}

export class Engine {
  readonly memory: WebAssembly.Memory;
  readonly gemm: GemmFn;
  readonly exports: WebAssembly.Exports;
  private f32: Float32Array;
  private worker: Worker | null = null;
  private ctrl: Int32Array | null = null;

  constructor(threads: boolean) {
    const shared = threads && typeof SharedArrayBuffer !== 'undefined';
    this.memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared } as WebAssembly.MemoryDescriptor);
    const module = new WebAssembly.Module(gemmModuleBytes(shared));
    this.exports = new WebAssembly.Instance(module, { env: { mem: this.memory } }).exports;
    this.gemm = this.exports['gemm'] as GemmFn;
    this.f32 = new Float32Array(this.memory.buffer);
    if (shared) {
      const ctrl = new SharedArrayBuffer(CTRL.size * 4);
      this.ctrl = new Int32Array(ctrl);
      this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory: this.memory, ctrl } });
      // never keep the process alive for it; an idle worker sits in Atomics.wait
      this.worker.unref();
    }
  }

  /** A Float32Array view over at least `bytes` of memory (grows the memory when needed). */
  heap(bytes: number): Float32Array {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
    if (this.f32.buffer !== this.memory.buffer || this.f32.length * 4 < bytes) this.f32 = new Float32Array(this.memory.buffer);
    return this.f32;
  }

  workerReady(): boolean {
    return this.ctrl !== null && Atomics.load(this.ctrl, CTRL.ready) === 1;
  }

  /**
   * Runs `count` products (byte strides sa/sb/sc between them) of mp x np panels. With the worker
   * up and enough work, the worker takes the second half of the matrices (or, for one matrix,
   * of its row panels) while this thread does the first.
   */
  run(count: number, sa: number, sb: number, sc: number, ap: number, bp: number, cp: number, mp: number, np: number, k: number, ldc: number): void {
    const macs = count * mp * MR * np * NR * k;
    const ctrl = this.ctrl;
    if (ctrl === null || macs < SPLIT_MACS || !this.workerReady() || (count === 1 && mp < 2)) {
      for (let t = 0; t < count; t++) this.gemm(ap + t * sa, bp + t * sb, cp + t * sc, 0, mp, np, k, ldc);
      return;
    }
    let mine: number;
    if (count >= 2) {
      mine = count >> 1;
      this.post(ctrl, count - mine, sa, sb, sc, ap + mine * sa, bp + mine * sb, cp + mine * sc, 0, mp, np, k, ldc);
      for (let t = 0; t < mine; t++) this.gemm(ap + t * sa, bp + t * sb, cp + t * sc, 0, mp, np, k, ldc);
    } else {
      mine = mp >> 1;
      this.post(ctrl, 1, 0, 0, 0, ap, bp, cp, mine, mp, np, k, ldc);
      this.gemm(ap, bp, cp, 0, mine, np, k, ldc);
    }
    const seq = Atomics.load(ctrl, CTRL.seq);
    for (let d = Atomics.load(ctrl, CTRL.done); d !== seq; d = Atomics.load(ctrl, CTRL.done)) Atomics.wait(ctrl, CTRL.done, d);
  }

  private post(ctrl: Int32Array, count: number, sa: number, sb: number, sc: number, ...args: number[]): void {
    ctrl[CTRL.count] = count;
    ctrl[CTRL.strideA] = sa;
    ctrl[CTRL.strideB] = sb;
    ctrl[CTRL.strideC] = sc;
    for (let i = 0; i < args.length; i++) ctrl[CTRL.args + i] = args[i]!;
    Atomics.add(ctrl, CTRL.seq, 1);
    Atomics.notify(ctrl, CTRL.seq);
  }
}

let engine: Engine | null = null;
/** The process's SIMD engine: one wasm memory (shared with the GEMM worker when threads exist). */
export function getEngine(): Engine {
  if (!engine) engine = new Engine(threadsWanted());
  return engine;
}

/** Whether the GEMM's second-core worker is up. */
export function simdThreadsReady(): boolean {
  return getEngine().workerReady();
}

/** Starts the worker early so that the first big product already finds it ready. */
export function warmSimd(): void {
  getEngine();
}

const align16 = (n: number): number => (n + 15) & ~15;

/** Packs op(A) (m x k) into 4-row panels: f32 index (ip*k + p)*4 + r; rows past m are zero. */
export function packA(a: Float32Array, off: number, trans: boolean, m: number, k: number, dst: Float32Array, base: number): void {
  const mp = Math.ceil(m / MR);
  for (let ip = 0; ip < mp; ip++) {
    const panel = base + ip * k * MR;
    for (let r = 0; r < MR; r++) {
      const row = ip * MR + r;
      if (row >= m) {
        for (let p = 0; p < k; p++) dst[panel + p * MR + r] = 0;
      } else if (trans) {
        for (let p = 0, s = off + row; p < k; p++, s += m) dst[panel + p * MR + r] = a[s]!;
      } else {
        for (let p = 0, s = off + row * k; p < k; p++, s++) dst[panel + p * MR + r] = a[s]!;
      }
    }
  }
}

/** Packs op(B) (k x n) into 8-column panels: f32 index (jp*k + p)*8 + c; columns past n are zero. */
export function packB(b: Float32Array, off: number, trans: boolean, k: number, n: number, dst: Float32Array, base: number): void {
  const np = Math.ceil(n / NR);
  for (let jp = 0; jp < np; jp++) {
    const panel = base + jp * k * NR;
    const j0 = jp * NR;
    const w = Math.min(NR, n - j0);
    if (trans) {
      for (let c = 0; c < NR; c++) {
        if (c >= w) {
          for (let p = 0; p < k; p++) dst[panel + p * NR + c] = 0;
          continue;
        }
        for (let p = 0, s = off + (j0 + c) * k; p < k; p++, s++) dst[panel + p * NR + c] = b[s]!;
      }
    } else {
      for (let p = 0; p < k; p++) {
        const d = panel + p * NR;
        const s = off + p * n + j0;
        for (let c = 0; c < w; c++) dst[d + c] = b[s + c]!;
        for (let c = w; c < NR; c++) dst[d + c] = 0;
      }
    }
  }
}

export interface SgemmArgs {
  batch: number;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  /** elements between batch matrices; 0 reuses one matrix for every batch entry */
  strideA: number;
  strideB: number;
}

/**
 * A GEMM described by its packers, so callers can pack straight from their own layout (conv2d
 * packs im2col patches directly into B panels, never materialising the patch matrix).
 * packA(t) writes op(A[t]) as 4-row panels (see packA), packB(t) op(B[t]) as 8-column panels.
 */
export interface GemmPlan {
  batch: number;
  m: number;
  k: number;
  n: number;
  sharedA: boolean;
  sharedB: boolean;
  packA(t: number, dst: Float32Array, base: number): void;
  packB(t: number, dst: Float32Array, base: number): void;
}

/** Target bytes of one column block of packed B when A is small enough to stay cached. */
const B_BLOCK = 128 * 1024;
const A_SMALL = 512 * 1024;

export function runGemm(plan: GemmPlan, out: Float32Array, outOffset: number): Float32Array {
  const { batch, m, k, n } = plan;
  if (batch === 0 || m === 0 || n === 0) return out;
  if (k === 0) {
    out.fill(0, outOffset, outOffset + batch * m * n);
    return out;
  }
  const e = getEngine();
  const mp = Math.ceil(m / MR);
  const np = Math.ceil(n / NR);
  const aBytes = align16(mp * MR * k * 4);
  const bBytes = align16(np * NR * k * 4);
  const cBytes = align16(mp * MR * np * NR * 4);
  const aCount = plan.sharedA ? 1 : batch;
  const bCount = plan.sharedB ? 1 : batch;
  const ap = 0;
  const bp = ap + aCount * aBytes;
  const cp = bp + bCount * bBytes;
  const heap = e.heap(cp + batch * cBytes);
  for (let t = 0; t < aCount; t++) plan.packA(t, heap, (ap + t * aBytes) >> 2);
  for (let t = 0; t < bCount; t++) plan.packB(t, heap, (bp + t * bBytes) >> 2);
  const ldc = np * NR * 4;
  const panelBytes = k * NR * 4;
  const nb = Math.max(1, Math.floor(B_BLOCK / panelBytes));
  if (batch === 1 && aBytes <= A_SMALL && np > nb) {
    // column blocks outermost: each B block is read once while all of A stays cached; the
    // blocks are the "matrices" the worker and this thread share
    const full = Math.floor(np / nb);
    e.run(full, 0, nb * panelBytes, nb * NR * 4, ap, bp, cp, mp, nb, k, ldc);
    const rest = np - full * nb;
    if (rest > 0) e.run(1, 0, 0, 0, ap, bp + full * nb * panelBytes, cp + full * nb * NR * 4, mp, rest, k, ldc);
  } else {
    e.run(batch, plan.sharedA ? 0 : aBytes, plan.sharedB ? 0 : bBytes, cBytes, ap, bp, cp, mp, np, k, ldc);
  }
  const view = e.heap(0);
  const ldcF = np * NR;
  for (let t = 0; t < batch; t++) {
    const src = (cp + t * cBytes) >> 2;
    const dst = outOffset + t * m * n;
    if (ldcF === n) out.set(view.subarray(src, src + m * n), dst);
    else for (let i = 0; i < m; i++) out.set(view.subarray(src + i * ldcF, src + i * ldcF + n), dst + i * n);
  }
  return out;
}

/** out[b] = op(A[b]) @ op(B[b]) for float32 operands, written at out[outOffset..]. */
export function sgemm(a: Float32Array, b: Float32Array, args: SgemmArgs, out: Float32Array = new Float32Array(args.batch * args.m * args.n), outOffset = 0): Float32Array {
  const { batch, m, k, n, transA, transB, strideA, strideB } = args;
  return runGemm({
    batch, m, k, n,
    sharedA: strideA === 0,
    sharedB: strideB === 0,
    packA: (t, dst, base) => packA(a, t * strideA, transA, m, k, dst, base),
    packB: (t, dst, base) => packB(b, t * strideB, transB, k, n, dst, base),
  }, out, outOffset);
}
