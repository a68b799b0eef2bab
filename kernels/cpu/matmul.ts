// Batched matmul. Float64 and small products use the plain i-k-j loop (packing would cost more than it
// saves); larger ones the cache-blocked register-tiled GEMM, split over two threads when big.
import type { MatmulArgs } from '../backend.js';
import { allocArray, type DType, type TypedArray } from '../types.js';
import { gemmRows } from './gemm_blocked.js';
import { parallelGemm } from './threads.js';

/** Below this many multiply-adds the simple loop wins. */
const BLOCKED_MACS = 4096;

function naive(a: TypedArray, offA: number, transA: boolean, b: TypedArray, offB: number, transB: boolean, m: number, k: number, n: number, out: TypedArray, offC: number): void {
  const aRow = transA ? 1 : k;
  const aCol = transA ? m : 1;
  const bRow = transB ? 1 : n;
  const bCol = transB ? k : 1;
  for (let i = 0; i < m; i++) {
    const cRow = offC + i * n;
    for (let kk = 0; kk < k; kk++) {
      const av = a[offA + i * aRow + kk * aCol]!;
      const bBase = offB + kk * bRow;
      for (let j = 0; j < n; j++) out[cRow + j]! += av * b[bBase + j * bCol]!;
    }
  }
}

/**
 * Adds bias[c] to every run of `inner` values of channel c, channels cycling through the rows of
 * `out` (inner 1: a bias per column of a matrix; inner H*W: a bias per channel of NCHW). In place.
 */
export function addBias<T extends TypedArray>(out: T, bias: TypedArray | null, inner: number): T {
  if (!bias || bias.length === 0) return out;
  const c = bias.length;
  if (inner === 1) {
    for (let o = 0; o < out.length; o += c) for (let j = 0; j < c; j++) out[o + j]! += bias[j]!;
    return out;
  }
  for (let o = 0, ch = 0; o < out.length; o += inner, ch = ch + 1 === c ? 0 : ch + 1) {
    const v = bias[ch]!;
    for (let i = o; i < o + inner; i++) out[i]! += v;
  }
  return out;
}

/**
 * out *= alpha in place, each product rounded to out's dtype: what multiplying by a 0-d tensor of
 * alpha in that dtype gives (for float32, alpha is rounded to float32 first; the double product of
 * two float32 values is exact, so storing it rounds once, as a float32 multiply does).
 */
export function scaleInPlace<T extends TypedArray>(out: T, alpha: number): T {
  if (alpha === 1) return out;
  const s = out instanceof Float32Array ? Math.fround(alpha) : alpha;
  for (let i = 0; i < out.length; i++) out[i]! *= s;
  return out;
}

export function matmul(a: TypedArray, b: TypedArray, args: MatmulArgs, dtype: DType): TypedArray {
  const { batch, m, k, n, transA, transB, strideA, strideB } = args;
  const out = allocArray(dtype, batch * m * n);
  if (m * n * k < BLOCKED_MACS || !(a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array)) {
    for (let p = 0; p < batch; p++) naive(a, p * strideA, transA, b, p * strideB, transB, m, k, n, out, p * m * n);
    return scaleInPlace(out, args.alpha ?? 1);
  }
  if (!parallelGemm(a, b, args, out)) {
    for (let p = 0; p < batch; p++) gemmRows(a, p * strideA, transA, b, p * strideB, transB, m, k, n, out, p * m * n, 0, m);
  }
  return scaleInPlace(out, args.alpha ?? 1);
}
