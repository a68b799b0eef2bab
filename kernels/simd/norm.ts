// Group and layer norm, forward and backward, over tensors in the SIMD engine's
// shared memory, rows shared with the worker (rows.ts). The mean and rstd, the affine weights and
// the backward's per-(row, channel) sums pass through scratch; dweight and dbias are added up here
// in row order, as cpu/norm.ts does, so every value has the cpu backend's bits.
import { takeFull } from '../pool.js';
import { getEngine } from './gemm.js';
import { groupNormBackwardRows, layerNormBackwardRows, layerNormParamColumns, normRows } from '../cpu/rows.js';
import { KIND } from './worker_source.js';

/** A norm as rows: see cpu/norm.ts. */
export interface NormRows {
  rows: number;
  cols: number;
  groups: number;
  spatial: number;
  eps: number;
}

const MIN_VALUES = 1 << 16;
/** Bytes of n floats rounded up to 16 (a cache line). */
const r16 = (n: number): number => ((n + 15) & ~15) * 4;
const pair = new Int32Array(2);
const pairF64 = new Float64Array(pair.buffer);

/** Copies `a` into scratch at byte `at` (float32); returns its float index, or -1 for none. */
function put(heap: Float32Array, a: Float32Array | null, at: number): number {
  if (!a) return -1;
  heap.set(a, at >>> 2);
  return at >>> 2;
}

export function simdNorm(x: Float32Array, w: Float32Array | null, b: Float32Array | null, r: NormRows): { y: Float32Array; mean: Float32Array; rstd: Float32Array } | null {
  const { rows, cols, groups, spatial, eps } = r;
  if (rows * cols < MIN_VALUES || spatial === 0) return null;
  const e = getEngine();
  const xAt = e.addressOf(x);
  if (xAt === null) return null;
  const y = takeFull(rows * cols);
  const yAt = e.addressOf(y);
  if (yAt === null) return null;
  // scratch: mean, rstd, w, b (each rounded up to 16 floats)
  const base = e.scratch(2 * r16(rows) + r16(w?.length ?? 0) + r16(b?.length ?? 0));
  const heap = e.heap();
  const [mean, rstd] = [base >>> 2, (base + r16(rows)) >>> 2];
  const wi = put(heap, w, base + 2 * r16(rows));
  const bi = put(heap, b, base + 2 * r16(rows) + r16(w?.length ?? 0));
  pairF64[0] = eps;
  const [fx, fy] = [xAt >>> 2, yAt >>> 2];
  e.runRows(KIND.norm, [fx, wi, bi, fy, mean, rstd, cols, groups, spatial, pair[0]!, pair[1]!], rows, 3 * rows * cols, (q0, q1) =>
    normRows(heap, fx, wi, bi, fy, mean, rstd, cols, groups, spatial, eps, q0, q1),
  );
  const f = e.heap();
  return { y, mean: f.slice(mean, mean + rows), rstd: f.slice(rstd, rstd + rows) };
}

/**
 * The operands of a norm backward in the engine memory: dy and x where they live (null if either
 * does not), a fresh dx there, and in scratch `sumsBytes` of float64 sums (8-byte aligned) followed
 * by the mean, rstd and weight.
 */
function backwardOperands(dy: Float32Array, x: Float32Array, mean: Float32Array, rstd: Float32Array, w: Float32Array | null, rows: number, cols: number, sumsBytes: number) {
  const e = getEngine();
  const dyAt = e.addressOf(dy);
  const xAt = e.addressOf(x);
  if (rows * cols < MIN_VALUES || dyAt === null || xAt === null) return null;
  const dx = takeFull(rows * cols);
  const dxAt = e.addressOf(dx);
  if (dxAt === null) return null;
  const base = e.scratch(sumsBytes + 2 * r16(rows) + r16(w?.length ?? 0));
  const heap = e.heap();
  return {
    e, heap, dx, sums: base >>> 3, fdy: dyAt >>> 2, fx: xAt >>> 2, fdx: dxAt >>> 2,
    mi: put(heap, mean, base + sumsBytes), ri: put(heap, rstd, base + sumsBytes + r16(rows)), wi: put(heap, w, base + sumsBytes + 2 * r16(rows)),
  };
}

/** dx, and dweight and dbias as float64 sums (the caller rounds them to its dtype); null when this path does not apply. */
export function simdGroupNormBackward(dy: Float32Array, x: Float32Array, mean: Float32Array, rstd: Float32Array, w: Float32Array | null, r: NormRows, channels: number, needW: boolean, needB: boolean): { dx: Float32Array; dw: Float64Array | null; db: Float64Array | null } | null {
  const { rows, cols, groups, spatial } = r;
  if (spatial <= 1) return null;
  const cpg = cols / spatial;
  // the (row, channel) sums: a float64 pair each
  const o = backwardOperands(dy, x, mean, rstd, w, rows, cols, r16(4 * rows * cpg));
  if (!o) return null;
  const { e, heap, dx, sums: parts, fdy, fx, fdx, mi, ri, wi } = o;
  const d = new Float64Array(e.memory.buffer);
  e.runRows(KIND.groupNormBackward, [fdy, fx, mi, ri, wi, fdx, parts, cols, groups, spatial], rows, 3 * rows * cols, (q0, q1) =>
    groupNormBackwardRows(heap, d, fdy, fx, mi, ri, wi, fdx, parts, cols, groups, spatial, q0, q1),
  );
  const dw = needW ? new Float64Array(channels) : null;
  const db = needB ? new Float64Array(channels) : null;
  for (let row = 0; row < rows; row++) {
    const ch0 = (row % groups) * cpg;
    for (let q = 0; q < cpg; q++) {
      const at = parts + 2 * (row * cpg + q);
      if (dw) dw[ch0 + q]! += d[at]!;
      if (db) db[ch0 + q]! += d[at + 1]!;
    }
  }
  return { dx, dw, db };
}

/** A layer norm's dx on both threads by rows, then dweight and dbias by columns (float64 sums); null when this path does not apply. */
export function simdLayerNormBackward(dy: Float32Array, x: Float32Array, mean: Float32Array, rstd: Float32Array, w: Float32Array | null, rows: number, cols: number, needW: boolean, needB: boolean): { dx: Float32Array; dw: Float64Array | null; db: Float64Array | null } | null {
  // the column sums: a float64 pair each
  const o = backwardOperands(dy, x, mean, rstd, w, rows, cols, r16(4 * cols));
  if (!o) return null;
  const { e, heap, dx, sums: s, fdy, fx, fdx, mi, ri, wi } = o;
  e.runRows(KIND.layerNormBackward, [fdy, fx, mi, ri, wi, fdx, cols], rows, 3 * rows * cols, (q0, q1) => layerNormBackwardRows(heap, fdy, fx, mi, ri, wi, fdx, cols, q0, q1));
  if (!needW && !needB) return { dx, dw: null, db: null };
  const d = new Float64Array(e.memory.buffer);
  d.fill(0, s, s + 2 * cols);
  e.runRows(KIND.layerNormParams, [fdy, fx, mi, ri, s, rows, cols], cols, 2 * rows * cols, (j0, j1) => layerNormParamColumns(heap, d, fdy, fx, mi, ri, s, rows, cols, j0, j1));
  const dw = needW ? Float64Array.from({ length: cols }, (_, j) => d[s + 2 * j]!) : null;
  const db = needB ? Float64Array.from({ length: cols }, (_, j) => d[s + 2 * j + 1]!) : null;
  return { dx, dw, db };
}
