// Strided copies (permute, slice, expand views made contiguous) and their scatter-add adjoint over
// tensors in the SIMD engine's shared memory, rows shared with the worker (rows.ts). Anything else
// stays on the cpu backend's loops (cpu/gather.ts), which give the same values.
import type { StridedArgs } from '../backend.js';
import { collapseView } from '../cpu/gather.js';
import { takeFull, takeZeroed } from '../pool.js';
import { numel } from '../shape.js';
import { getEngine } from './gemm.js';
import { stridedRows } from '../cpu/rows.js';
import { KIND } from './worker_source.js';

/** Below this many values one thread does it. */
const MIN_VALUES = 1 << 16;
const MIN_ROWS = 16;

/** Whether no two positions of the view coincide (each dim steps past everything inside it). */
function disjoint(sizes: readonly number[], steps: readonly number[]): boolean {
  const dims = sizes.map((n, d) => [n, steps[d]!] as const).sort((a, b) => a[1] - b[1]);
  let span = 1;
  for (const [n, step] of dims) {
    if (step < span) return false;
    span = step * (n - 1) + span;
  }
  return true;
}

/**
 * The view of x as a fresh contiguous array (`add` false), or the scatter-add of x (shaped as the
 * view) into zeros of `size` (`add` true); null when this path does not apply.
 */
export function simdStrided(x: Float32Array, a: StridedArgs, add: boolean, size: number): Float32Array | null {
  const count = numel(a.outShape);
  if (count < MIN_VALUES) return null;
  const e = getEngine();
  const xAt = e.addressOf(x);
  if (xAt === null) return null;
  const { sizes, steps } = collapseView(a.outShape, a.strides);
  let r = sizes.length;
  if (r === 0 || (add && (steps.some((s) => s <= 0) || !disjoint(sizes, steps)))) return null;
  const out = add ? takeZeroed(size) : takeFull(count);
  const oAt = e.addressOf(out);
  if (oAt === null) return null;
  let rows = count / sizes[r - 1]!;
  while (rows < MIN_ROWS && sizes[r - 1]! % 16 === 0 && sizes[r - 1]! >= 16 * 256) {
    const n = sizes[r - 1]! / 16;
    sizes.splice(r - 1, 1, 16, n);
    steps.splice(r - 1, 1, steps[r - 1]! * n, steps[r - 1]!);
    r++;
    rows *= 16;
  }
  // gather: the view lies in x (at its offset), rows go to out; scatter: the view lies in out, rows come from x
  const [view, flat] = add ? [(oAt >>> 2) + a.offset, xAt >>> 2] : [(xAt >>> 2) + a.offset, oAt >>> 2];
  const f = e.heap();
  const mode = add ? 1 : 0;
  e.runRows(KIND.strided, [view, flat, mode, r, ...sizes, ...steps], rows, 2 * count, (q0, q1) => stridedRows(f, view, flat, r, sizes, steps, mode, q0, q1));
  return out;
}
