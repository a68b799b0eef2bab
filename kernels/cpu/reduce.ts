// Reductions over any set of axes. The shape is collapsed first (size-1 dims dropped, neighbouring
// dims merged while they are all reduced or all kept), leaving alternating reduced and kept runs:
// a trailing reduced run sums contiguous values into one output, a trailing kept run adds a
// contiguous row into a row of outputs (sum_to of a bias gradient). Sums accumulate in float64.
import type { ReduceOp } from '../backend.js';
import { allocArray, type DType, type TypedArray } from '../types.js';
import { numel } from '../shape.js';

/**
 * The input as runs: size-1 dims dropped, neighbours merged while both are reduced or both kept;
 * `outStride` the output stride of each kept run (0 for reduced ones).
 */
export function reduceRuns(shape: readonly number[], axes: readonly number[]): { sizes: number[]; red: boolean[]; outStride: number[] } {
  const reduced = new Set(axes);
  const sizes: number[] = [];
  const red: boolean[] = [];
  shape.forEach((n, d) => {
    if (n === 1) return;
    const r = reduced.has(d);
    const last = sizes.length - 1;
    if (last >= 0 && red[last] === r) sizes[last]! *= n;
    else {
      sizes.push(n);
      red.push(r);
    }
  });
  const outStride = new Array<number>(sizes.length).fill(0);
  for (let d = sizes.length - 1, s = 1; d >= 0; d--) {
    if (!red[d]) {
      outStride[d] = s;
      s *= sizes[d]!;
    }
  }
  return { sizes, red, outStride };
}

export function reduce(op: ReduceOp, x: TypedArray, shape: readonly number[], axes: readonly number[], dtype: DType): TypedArray {
  const reduced = new Set(axes);
  const outSize = numel(shape.filter((_, d) => !reduced.has(d)));
  const out = allocArray(dtype, outSize);
  const init = op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity;
  if (outSize === 0) return out;
  if (x.length === 0) return out.fill(init);
  const { sizes, red, outStride } = reduceRuns(shape, axes);
  const acc = new Float64Array(outSize).fill(init);
  const k = sizes.length;
  if (k === 0) {
    acc[0] = combine(op, init, x[0]!);
    out.set(acc);
    return out;
  }
  const n = sizes[k - 1]!;
  const lastReduced = red[k - 1]!;
  const idx = new Array<number>(k - 1).fill(0);
  let q = 0;
  for (let p = 0; p < x.length; p += n) {
    if (lastReduced) acc[q] = reduceRun(op, x, p, n, acc[q]!);
    else accumulateRow(op, x, p, n, acc, q);
    for (let d = k - 2; d >= 0; d--) {
      q += outStride[d]!;
      if (++idx[d]! < sizes[d]!) break;
      q -= outStride[d]! * sizes[d]!;
      idx[d] = 0;
    }
  }
  out.set(acc);
  return out;
}

function combine(op: ReduceOp, acc: number, v: number): number {
  if (op === 'sum') return acc + v;
  if (op === 'max') return v > acc || Number.isNaN(v) ? v : acc;
  return v < acc || Number.isNaN(v) ? v : acc;
}

/** acc combined with x[p..p+n). */
function reduceRun(op: ReduceOp, x: TypedArray, p: number, n: number, acc: number): number {
  if (op === 'sum') for (let i = 0; i < n; i++) acc += x[p + i]!;
  else if (op === 'max') for (let i = 0; i < n; i++) { const v = x[p + i]!; if (v > acc || Number.isNaN(v)) acc = v; }
  else for (let i = 0; i < n; i++) { const v = x[p + i]!; if (v < acc || Number.isNaN(v)) acc = v; }
  return acc;
}

/** acc[q..q+n) combined elementwise with x[p..p+n). */
function accumulateRow(op: ReduceOp, x: TypedArray, p: number, n: number, acc: Float64Array, q: number): void {
  if (op === 'sum') for (let i = 0; i < n; i++) acc[q + i]! += x[p + i]!;
  else for (let i = 0; i < n; i++) acc[q + i] = combine(op, acc[q + i]!, x[p + i]!);
}
