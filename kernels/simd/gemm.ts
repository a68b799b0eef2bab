// Single-precision GEMM on the SIMD micro-kernel. The kernel reads its operands through byte
// strides (gemm_module.ts), so a matrix stored row-major or transposed is read where it lies when
// its array lives in the engine's memory (heap.ts), else copied there as it is (one memcpy, or row
// by row where B's rows get a cache line of padding); only B stored transposed, and the conv patch
// operands, are packed into panels. A long k runs in blocks that add into C (runGemm). Rows and
// columns past the 4 x 8 tile read whatever follows (zeros at the end of a copied operand, else the
// next values) and only reach C entries that are never copied out. The kernel fills a padded C that
// is copied out, or, when the output lives in the memory and has whole tiles, the output itself.
// The memory also holds the engine's other kernels' operands and the worker's rows jobs
// (runRows: memory-bound loops, ../cpu/rows.ts). Big jobs are shared with
// a worker on the second core, unit by unit (worker_source.ts, started through the platform's
// threads); the API stays synchronous because the main thread blocks on Atomics.wait for the
// worker's last unit after running out of its own.
import { getPlatform } from '../../platform/platform.js';
import type { MatmulArgs } from '../backend.js';
import { gemmModuleBytes, MAX_PAGES, MR, NR, PAGE } from './gemm_module.js';
import { mapModuleBytes } from './map_module.js';
import { mapFormulas } from './activations.js';
import { CTRL, IDLE, KIND, POSTED, RUNNING, WORKER_SOURCE } from './worker_source.js';
import { takeFull, type ArrayArena } from '../pool.js';
import { GUARD, WasmHeap } from './heap.js';
import type { CopyKernels } from './plane_copies.js';

/** The kernel: ap, bp, cp, i0, i1, np, k, ldc, aPanel, aRow, aStep, bPanel, bStep, segs, nseg, accumulate, scale. */
type GemmFn = (...args: number[]) => void;

/** Heap bytes [0, TABLES) hold the job tables: segment pairs first, then product entries. */
export const TABLES = 16384;
const MAX_SEGS = 256;
const ENTRIES_AT = MAX_SEGS * 8;
const MAX_ENTRIES = Math.floor((TABLES - ENTRIES_AT) / 12);

/**
 * Products that share their kernel arguments (see gemm_module.ts): each entry is the A, B and C
 * byte addresses of one product; `segs` the (dA, dB) byte offsets each product sums over
 * ([[0, 0]] for a plain product; a conv's kernel taps or a batch's images otherwise).
 */
export interface Job {
  entries: readonly (readonly [number, number, number])[];
  segs: readonly (readonly [number, number])[];
  /** row panels (4 rows), column panels (8 columns), steps per segment, C row bytes */
  mp: number;
  np: number;
  k: number;
  ldc: number;
  aPanel: number;
  aRow: number;
  aStep: number;
  bPanel: number;
  bStep: number;
  /** add to the C already there instead of overwriting it */
  accumulate?: boolean;
  /** k steps per kernel call: each unit runs ceil(k / kBlock) calls over its rows, the later ones
   * adding into C (see runGemm's blocking); all of k in one call when absent */
  kBlock?: number;
  /** multiplies C as it is stored (a float32, rounded once per value); 1 when absent */
  scale?: number;
}

/** Jobs below this many multiply-adds stay on one thread: a handoff costs tens of µs (a
 * 128x64x64 product ran 2x slower shared, measured). */
const SPLIT_MACS = 1 << 21;
/** Units a shared job is cut into: enough for the two threads to even out, few enough to stay cheap. */
const UNITS = 8;
/** Memory-bound rows jobs: shared from this many values on (a handoff costs tens of µs, about
 * what one thread needs for 64K values), in this many units. */
const SPLIT_VALUES = 1 << 16;
const ROW_UNITS = 16;

/**
 * Whether the kernel can use relaxed SIMD's fused multiply-add: on unless BAS_RELAXED_SIMD=0, where
 * the host validates a relaxed_madd module (after the platform turned the feature on, if it can).
 */
function relaxedSimdAvailable(): boolean {
  const p = getPlatform();
  if (p.env('BAS_RELAXED_SIMD') === '0') return false;
  p.enableWasmRelaxedSimd?.();
  try {
    return WebAssembly.validate(gemmModuleBytes(false, true));
  } catch {
    return false;
  }
}

export function simdSupported(): boolean {
  try {
    return WebAssembly.validate(gemmModuleBytes(false));
  } catch {
    return false;
  }
}

/**
 * Bytes of tensor arrays the shared memory may hold (BAS_HEAP_MB, default 3584 of its 4 GiB, the
 * rest for scratch; 0 keeps every tensor in ordinary arrays, copied in and out around each kernel).
 * Past the cap new outputs are ordinary arrays, and the kernels that read them copy them.
 */
function tensorCapBytes(): number {
  const v = getPlatform().env('BAS_HEAP_MB');
  const mb = v === undefined || v === '' ? 3584 : Number(v);
  if (!Number.isFinite(mb) || mb < 0) throw new Error(`BAS_HEAP_MB must be a number of MiB >= 0, got "${v}"`);
  return Math.min(mb * 1024 * 1024, MAX_PAGES * PAGE - (64 << 20));
}

function threadsWanted(): boolean {
  const p = getPlatform();
  const v = p.env('BAS_THREADS');
  return v !== '0' && v !== '1' && p.hardwareConcurrency >= 2;
}

export class Engine {
  readonly memory: WebAssembly.Memory;
  readonly exports: WebAssembly.Exports;
  /** the convolutions' copy kernels (copy_module.ts), exports of the same module */
  readonly copies: CopyKernels;
  /** the mul + add kernel and, where relaxed SIMD validates, the fused one */
  private readonly plain: GemmFn;
  private readonly fused: GemmFn | null;
  /** which of the two runs: the fused one when available, unless turned off (setSimdFma) */
  fma: boolean;
  private f32: Float32Array;
  private i32: Int32Array;
  private ctrl: Int32Array | null = null;
  /** the memory's allocator: the kernels' scratch and, where the memory is shared, tensors */
  readonly heapAlloc: WasmHeap;
  /** the activation maps' exports (f_<op>, b_<op>), and their names in the order the worker sees them */
  readonly maps: WebAssembly.Exports;
  private readonly mapNames: string[];

  constructor(threads: boolean) {
    const shared = threads && typeof SharedArrayBuffer !== 'undefined';
    this.memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared } as WebAssembly.MemoryDescriptor);
    this.heapAlloc = new WasmHeap(this.memory, TABLES, MAX_PAGES * PAGE, shared ? tensorCapBytes() : 0);
    const relaxed = relaxedSimdAvailable();
    const module = new WebAssembly.Module(gemmModuleBytes(shared, relaxed));
    this.exports = new WebAssembly.Instance(module, { env: { mem: this.memory } }).exports;
    this.plain = this.exports['gemm'] as GemmFn;
    this.copies = this.exports as unknown as CopyKernels;
    this.fused = relaxed ? (this.exports['gemm_fma'] as GemmFn) : null;
    this.fma = relaxed;
    this.f32 = new Float32Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
    // the activation maps (map.ts), in a module of their own over the same memory
    const maps = new WebAssembly.Module(mapModuleBytes(mapFormulas(), shared, MAX_PAGES));
    this.maps = new WebAssembly.Instance(maps, { env: { mem: this.memory } }).exports;
    this.mapNames = Object.keys(this.maps);
    if (shared) {
      const ctrl = new Int32Array(new SharedArrayBuffer(CTRL.size * 4));
      // an idle worker sits in Atomics.wait; the platform never lets it keep the process alive
      const worker = getPlatform().threads.spawn(WORKER_SOURCE, { module, maps, memory: this.memory, ctrl: ctrl.buffer }, () => Atomics.store(ctrl, CTRL.ready, 0));
      if (worker) this.ctrl = ctrl;
    }
  }

  /** A map's index among the exports, as a rows job names it to the worker. */
  mapIndex(name: string): number {
    return this.mapNames.indexOf(name);
  }

  /** The byte address of a scratch block of at least `bytes` (the same block until a call needs more). */
  scratch(bytes: number): number {
    return this.heapAlloc.scratch(bytes);
  }

  /** A Float32Array over the whole memory as it is now (after any growth). */
  heap(): Float32Array {
    if (this.f32.buffer !== this.memory.buffer) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
    }
    return this.f32;
  }

  /** The byte address of `a` if it is a tensor array living in this memory (read it in place). */
  addressOf(a: Float32Array): number | null {
    return this.heapAlloc.addressOf(a);
  }

  /** Chooses the fused (true) or the mul + add kernel; returns whether the fused one is now chosen. */
  setFma(on: boolean): boolean {
    this.fma = on && this.fused !== null;
    return this.fma;
  }

  workerReady(): boolean {
    return this.ctrl !== null && Atomics.load(this.ctrl, CTRL.ready) === 1;
  }

  /**
   * Runs a job. With the worker up and enough work, the products (or, for few products, ranges of
   * their row panels) become units that this thread and the worker claim one at a time.
   */
  run(job: Job): void {
    const { entries, segs, mp, np, k } = job;
    if (segs.length > MAX_SEGS) throw new Error(`gemm: ${segs.length} segments, at most ${MAX_SEGS}`);
    this.heap();
    const I = this.i32;
    segs.forEach(([da, db], s) => {
      I[2 * s] = da;
      I[2 * s + 1] = db;
    });
    const kBlock = Math.min(k, job.kBlock ?? k);
    const args = [np, k, job.ldc, job.aPanel, job.aRow, job.aStep, job.bPanel, job.bStep, 0, segs.length, job.accumulate === true ? 1 : 0, f32Bits(job.scale ?? 1), kBlock] as const;
    const gemm = this.fma && this.fused !== null ? this.fused : this.plain;
    // rows i0..i1 of one product, block by block of k (the worker runs the same loop)
    const unit = (a: number, b: number, c: number, i0: number, i1: number): void => {
      for (let p0 = 0; p0 < k; p0 += kBlock) {
        const last = p0 + kBlock >= k;
        gemm(a + p0 * job.aStep, b + p0 * job.bStep, c, i0, i1, np, last ? k - p0 : kBlock, job.ldc, job.aPanel, job.aRow, job.aStep, job.bPanel, job.bStep,
          0, segs.length, args[10] === 1 || p0 > 0 ? 1 : 0, last ? args[11] : ONE_BITS);
      }
    };
    const macs = mp * MR * np * NR * k * segs.length;
    const ctrl = this.ctrl;
    for (let e0 = 0; e0 < entries.length; e0 += MAX_ENTRIES) {
      const chunk = entries.slice(e0, e0 + MAX_ENTRIES);
      const count = chunk.length;
      if (ctrl === null || count * macs < SPLIT_MACS || !this.workerReady() || (count === 1 && mp < 2)) {
        for (const [a, b, c] of chunk) unit(a, b, c, 0, mp);
        continue;
      }
      chunk.forEach(([a, b, c], t) => I.set([a, b, c], (ENTRIES_AT >>> 2) + 3 * t));
      // about UNITS units in all, whole products when there are enough of them
      const rows = Math.ceil(mp / Math.min(mp, Math.max(1, Math.ceil(UNITS / count))));
      const per = Math.ceil(mp / rows);
      const units = count * per;
      ctrl[CTRL.units] = units;
      ctrl[CTRL.per] = per;
      ctrl[CTRL.rows] = rows;
      ctrl[CTRL.mp] = mp;
      ctrl[CTRL.entries] = ENTRIES_AT;
      ctrl[CTRL.fma] = gemm === this.plain ? 0 : 1;
      ctrl[CTRL.kind] = KIND.gemm;
      for (let i = 0; i < args.length; i++) ctrl[CTRL.args + i] = args[i]!;
      Atomics.store(ctrl, CTRL.next, 0);
      Atomics.store(ctrl, CTRL.state, POSTED);
      Atomics.add(ctrl, CTRL.seq, 1);
      Atomics.notify(ctrl, CTRL.seq);
      for (let u = Atomics.add(ctrl, CTRL.next, 1); u < units; u = Atomics.add(ctrl, CTRL.next, 1)) {
        const [a, b, c] = chunk[Math.floor(u / per)]!;
        const i0 = (u % per) * rows;
        unit(a, b, c, i0, Math.min(mp, i0 + rows));
      }
      finishJob(ctrl);
    }
  }

  /**
   * Runs `rows` rows of a memory-bound kernel, `unit(q0, q1)` on this thread; with the worker up
   * and `values` (the bytes moved, roughly) worth a handoff, the worker runs units too, through
   * the same kernel of `kind` with the integer arguments `xargs` (worker_source.ts).
   */
  runRows(kind: number, xargs: readonly number[], rows: number, values: number, unit: (q0: number, q1: number) => void): void {
    const ctrl = this.ctrl;
    if (ctrl === null || values < SPLIT_VALUES || rows < 2 || !this.workerReady()) {
      unit(0, rows);
      return;
    }
    // the arguments end where the failure flag begins: one more would overwrite it
    if (xargs.length > CTRL.failed - CTRL.xargs) throw new Error(`SIMD rows job: ${xargs.length} arguments, at most ${CTRL.failed - CTRL.xargs}`);
    const units = Math.min(rows, ROW_UNITS);
    const per = Math.ceil(rows / units);
    ctrl[CTRL.kind] = kind;
    for (let i = 0; i < xargs.length; i++) ctrl[CTRL.xargs + i] = xargs[i]!;
    ctrl[CTRL.units] = Math.ceil(rows / per);
    ctrl[CTRL.per] = per;
    ctrl[CTRL.mp] = rows;
    Atomics.store(ctrl, CTRL.next, 0);
    Atomics.store(ctrl, CTRL.state, POSTED);
    Atomics.add(ctrl, CTRL.seq, 1);
    Atomics.notify(ctrl, CTRL.seq);
    const count = ctrl[CTRL.units]!;
    for (let u = Atomics.add(ctrl, CTRL.next, 1); u < count; u = Atomics.add(ctrl, CTRL.next, 1)) unit(u * per, Math.min(rows, (u + 1) * per));
    finishJob(ctrl);
    // units the worker claimed and did not finish are lost: fail loudly rather than return wrong values
    if (Atomics.exchange(ctrl, CTRL.failed, 0) === 1) throw new Error(`SIMD rows job of kind ${kind}: the worker failed (its error is on stderr)`);
  }
}

const ONE_BITS = 0x3f800000;
const bits = new Int32Array(1);
const bitsF = new Float32Array(bits.buffer);
/** The bits of float32(x), as the kernel's i32 `scale` argument carries them. */
function f32Bits(x: number): number {
  bitsF[0] = x;
  return bits[0]!;
}

/** The wait for the worker's last unit, in slices: a stopped process (SIGSTOP, a suspended tab)
 * costs one slice however long it stood, and no unit comes near a minute. */
const WAIT_SLICE_MS = 1000;
const WAIT_SLICES = 60;

/**
 * Withdraws a posted job if the worker never took it up; else waits for its last unit. A worker
 * that died mid-job (killed, out of memory) never finishes it, and its exit event cannot run while
 * this thread blocks, so after `slices` waits with no end the worker is given up: marked not ready,
 * so later jobs run on this thread alone, and the job throws instead of hanging.
 */
export function finishJob(ctrl: Int32Array, sliceMs = WAIT_SLICE_MS, slices = WAIT_SLICES): void {
  if (Atomics.compareExchange(ctrl, CTRL.state, POSTED, IDLE) === POSTED) return;
  for (let s = 0; Atomics.load(ctrl, CTRL.state) !== IDLE; s++) {
    if (s === slices) {
      Atomics.store(ctrl, CTRL.ready, 0);
      throw new Error(`SIMD worker: its unit did not end in ${slices} waits of ${sliceMs} ms, so it is taken for dead; this job's result is lost and later jobs run on one thread`);
    }
    Atomics.wait(ctrl, CTRL.state, RUNNING, sliceMs);
  }
}

let engine: Engine | null = null;
/** The engine if something started it already, else null (nothing is started). */
export function startedEngine(): Engine | null {
  return engine;
}
/** The process's SIMD engine: one wasm memory (shared with the GEMM worker when threads exist). */
export function getEngine(): Engine {
  if (!engine) engine = new Engine(threadsWanted());
  return engine;
}

/**
 * Chooses the fused multiply-add kernel (true, the default where relaxed SIMD validates) or the
 * mul + add one, for the parity tests and benches; returns whether the fused one is now chosen.
 */
export function setSimdFma(on: boolean): boolean {
  return getEngine().setFma(on);
}

/** Whether the GEMM's second-core worker is up. */
export function simdThreadsReady(): boolean {
  return getEngine().workerReady();
}

/** Whether tensors' arrays may live in the engine's memory (it is shared, and BAS_HEAP_MB is not 0). */
export function simdTensorsShared(): boolean {
  const e = getEngine();
  return e.memory.buffer instanceof SharedArrayBuffer && e.heapAlloc.tensorCapacity > 0;
}

/** The engine's memory as the pool's arena (kernels/pool.ts). */
export function simdArena(): ArrayArena {
  return getEngine().heapAlloc;
}

/** Starts the worker early so that the first big product already finds it ready. */
export function warmSimd(): void {
  getEngine();
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

/**
 * One GEMM operand as the kernel walks it in wasm memory (byte strides, see gemm_module.ts).
 * `floats` is what one batch entry occupies there, a multiple of 4 that includes any values
 * the kernel reads past the matrix; `write(t)` puts batch entry t there.
 */
export interface Operand {
  floats: number;
  /** where the operand already lies in the engine's memory, read in place (nothing written) */
  at?: (t: number) => number;
  /** the same matrix for every batch entry (written once) */
  shared: boolean;
  panel: number;
  /** A only: bytes between the 4 rows of a panel */
  row: number;
  step: number;
  write(t: number, dst: Float32Array, base: number): void;
}

const round4 = (n: number): number => (n + 3) & ~3;

/** Copies `len` values and zeros the rest of an operand's region (what is read past the matrix). */
function copyIn(src: Float32Array, off: number, len: number, floats: number, dst: Float32Array, base: number): void {
  dst.set(src.subarray(off, off + len), base);
  dst.fill(0, base + len, base + floats);
}

/** op(A) (m x k) of each batch entry, read in place: row-major (m, k), or transposed (k, m). */
export function directA(a: Float32Array, stride: number, trans: boolean, m: number, k: number): Operand {
  const mp = Math.ceil(m / MR);
  // past the last row: whole zero rows (row-major) or a few zeros after the last stored row (transposed)
  const floats = trans ? round4(k * m + MR) : round4(mp * MR * k);
  const [panel, row, step] = trans ? [MR * 4, 4, 4 * m] : [MR * 4 * k, 4 * k, 4];
  return { floats, shared: stride === 0, panel, row, step, at: inPlace(a, stride, floats - m * k), write: (t, dst, base) => copyIn(a, t * stride, m * k, floats, dst, base) };
}

/**
 * Reads an operand where it lies when its array lives in the engine's memory (heap.ts) and what the
 * kernel reads past it stays within the guard; what it reads there reaches only C entries that are
 * never stored (see the top of this file).
 */
function inPlace(a: Float32Array, stride: number, pastEnd: number): ((t: number) => number) | undefined {
  if (pastEnd * 4 > GUARD) return undefined;
  const at = getEngine().addressOf(a);
  return at === null ? undefined : (t) => at + t * stride * 4;
}

/**
 * op(B) (k x n) stored row-major (k, n), read in place. Where its rows are a multiple of 8 cache
 * lines apart (n = 128, 256, 512, ...), the k steps of a column panel would fall into a few L1
 * sets and evict each other: those rows are copied one cache line wider (an odd number of lines
 * apart), which measured 1024^3 1.5x faster.
 */
export function directB(b: Float32Array, stride: number, k: number, n: number): Operand {
  const lines = Math.ceil(n / 16);
  const ldb = lines % 8 === 0 ? (lines + 1) * 16 : n;
  const floats = round4(k * ldb + NR);
  const write = (t: number, dst: Float32Array, base: number): void => {
    if (ldb === n) return copyIn(b, t * stride, k * n, floats, dst, base);
    for (let p = 0; p < k; p++) {
      const s = t * stride + p * n;
      dst.set(b.subarray(s, s + n), base + p * ldb);
      dst.fill(0, base + p * ldb + n, base + (p + 1) * ldb);
    }
    dst.fill(0, base + k * ldb, base + floats);
  };
  return { floats, shared: stride === 0, panel: NR * 4, row: 0, step: 4 * ldb, at: ldb === n ? inPlace(b, stride, floats - k * n) : undefined, write };
}

/** A written by `pack` as 4-row panels: f32 index (ip*k + p)*4 + r holds op(A)[4 ip + r][p], rows past m zero. */
export function packedA(m: number, k: number, shared: boolean, pack: (t: number, dst: Float32Array, base: number) => void): Operand {
  return { floats: Math.ceil(m / MR) * MR * k, shared, panel: MR * 4 * k, row: 4, step: MR * 4, write: pack };
}

/** B written as 8-column panels by `pack` (see packB for the layout). */
export function packedB(k: number, n: number, shared: boolean, pack: (t: number, dst: Float32Array, base: number) => void): Operand {
  return { floats: Math.ceil(n / NR) * NR * k, shared, panel: NR * 4 * k, row: 0, step: NR * 4, write: pack };
}

export interface GemmPlan {
  batch: number;
  m: number;
  k: number;
  n: number;
  a: Operand;
  b: Operand;
}

/**
 * Cache blocking on k (GotoBLAS's kc): k is cut into floor(k / KC) equal blocks (each 256 to 511
 * steps), so that one tile's A and B panels (4 and 8 KiB at 256 steps) stay in L1 while it runs;
 * the blocks after the first add to C. Measured (BAS_THREADS=0, GFLOP/s): 512^3 42 -> 45 in two
 * blocks, a weight gradient's k = 16384 20 -> 33, while k = 384 ran 38 whole and 36 in two blocks.
 */
const KC = 256;

/** C = alpha * op(A) @ op(B), written at out[outOffset..]; the kernel scales C by alpha as it stores it. */
export function runGemm(plan: GemmPlan, out: Float32Array, outOffset: number, alpha = 1): Float32Array {
  const { batch, m, k, n, a, b } = plan;
  if (batch === 0 || m === 0 || n === 0) return out;
  if (k === 0) {
    out.fill(0, outOffset, outOffset + batch * m * n);
    return out;
  }
  const e = getEngine();
  const mp = Math.ceil(m / MR);
  const np = Math.ceil(n / NR);
  const aCount = a.at ? 0 : a.shared ? 1 : batch;
  const bCount = b.at ? 0 : b.shared ? 1 : batch;
  const cFloats = mp * MR * np * NR;
  // C straight into `out` when it lives in the memory and has no padded rows or columns
  const outAt = mp * MR === m && np * NR === n ? e.addressOf(out) : null;
  const base = e.scratch(aCount * a.floats * 4 + bCount * b.floats * 4 + (outAt === null ? batch * cFloats * 4 : 0));
  const ap = base;
  const bp = ap + aCount * a.floats * 4;
  const cp = outAt === null ? bp + bCount * b.floats * 4 : outAt + outOffset * 4;
  const heap = e.heap();
  for (let t = 0; t < aCount; t++) a.write(t, heap, (ap >>> 2) + t * a.floats);
  for (let t = 0; t < bCount; t++) b.write(t, heap, (bp >>> 2) + t * b.floats);
  const ldc = np * NR * 4;
  const addr = (o: Operand, p: number, t: number): number => (o.at ? o.at(o.shared ? 0 : t) : p + (o.shared ? 0 : t * o.floats * 4));
  const entries = Array.from({ length: batch }, (_, t) => [addr(a, ap, t), addr(b, bp, t), cp + t * cFloats * 4] as const);
  // one job, so that the two threads share it by rows over all of k; the kernel applies alpha as
  // the last block stores its sums
  e.run({
    entries, segs: [[0, 0]], mp, np, k, ldc, aPanel: a.panel, aRow: a.row, aStep: a.step, bPanel: b.panel, bStep: b.step,
    kBlock: Math.ceil(k / Math.max(1, Math.floor(k / KC))), scale: alpha,
  });
  if (outAt !== null) return out;
  const view = e.heap();
  const ldcF = np * NR;
  for (let t = 0; t < batch; t++) {
    const src = (cp >>> 2) + t * cFloats;
    const dst = outOffset + t * m * n;
    if (ldcF === n) out.set(view.subarray(src, src + m * n), dst);
    else for (let i = 0; i < m; i++) out.set(view.subarray(src + i * ldcF, src + i * ldcF + n), dst + i * n);
  }
  return out;
}

/** out[b] = alpha * op(A[b]) @ op(B[b]) for float32 operands, written at out[outOffset..]. */
export function sgemm(a: Float32Array, b: Float32Array, args: MatmulArgs, out: Float32Array = takeFull(args.batch * args.m * args.n), outOffset = 0): Float32Array {
  const { batch, m, k, n, transA, transB, strideA, strideB } = args;
  return runGemm({
    batch, m, k, n,
    a: directA(a, strideA, transA, m, k),
    // a row-major B is read in place (packing it into panels measured slower: 36 against 46
    // GFLOP/s at 512^3, the packing loop costing more than the contiguous panels save)
    b: transB ? packedB(k, n, strideB === 0, (t, dst, base) => packB(b, t * strideB, true, k, n, dst, base)) : directB(b, strideB, k, n),
  }, out, outOffset, args.alpha ?? 1);
}
