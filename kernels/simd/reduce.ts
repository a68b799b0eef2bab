// Sums over axes of a tensor in the SIMD engine's shared memory (bias gradients: a Linear's over its
// rows, a convolution's over images and pixels), the largest kept run split between this thread
// and the worker (rows.ts), so every output adds its values in the cpu loop's order. Other ops,
// small inputs and ordinary arrays stay on cpu/reduce.ts.
import type { ReduceOp } from '../backend.js';
import { takeZeroed } from '../pool.js';
import { getEngine } from './gemm.js';
import { sumRows } from '../cpu/rows.js';
import { reduceRuns } from '../cpu/reduce.js';
import { KIND } from './worker_source.js';

const MIN_VALUES = 1 << 16;

export function simdReduce(op: ReduceOp, x: Float32Array, shape: readonly number[], axes: readonly number[]): Float32Array | null {
  if (op !== 'sum' || x.length < MIN_VALUES) return null;
  const e = getEngine();
  const xAt = e.addressOf(x);
  if (xAt === null) return null;
  const { sizes, red: reducedRun, outStride } = reduceRuns(shape, axes);
  const red = reducedRun.map(Number);
  const k = sizes.length;
  // the kept run to share: the largest
  let outSize = 1;
  let ds = -1;
  for (let d = 0; d < k; d++) {
    if (red[d] === 1) continue;
    outSize *= sizes[d]!;
    if (ds < 0 || sizes[d]! > sizes[ds]!) ds = d;
  }
  if (ds < 0 || sizes[ds]! < 2) return null;
  const base = e.scratch(8 * outSize);
  const acc = new Float64Array(e.memory.buffer, base, outSize).fill(0);
  const f = e.heap();
  const [fx, s] = [xAt >>> 2, base >>> 3];
  const all = new Float64Array(e.memory.buffer);
  // a contiguous innermost run is shared in blocks of 64 (a cache line's 8 float64 sums, and inner loops worth running)
  const grain = ds === k - 1 ? 64 : 1;
  const blocks = Math.ceil(sizes[ds]! / grain);
  e.runRows(KIND.sum, [fx, s, k, ds, grain, ...sizes, ...red, ...outStride], blocks, x.length, (b0, b1) => sumRows(f, all, fx, s, k, sizes, red, outStride, ds, grain, b0, b1));
  const out = takeZeroed(outSize);
  out.set(acc);
  return out;
}
