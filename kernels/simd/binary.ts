// Broadcast add/sub/mul/div over tensors that live in the SIMD engine's shared memory, with the
// rows shared between this thread and the worker (cpu/rows.ts); a small operand in an ordinary array (a
// scale, a bias) is copied into scratch. Large operands in ordinary arrays, other ops and small
// outputs stay on the cpu backend's loops (cpu/binary_f32.ts), which give the same bits.
import type { BinaryOp } from '../backend.js';
import { collapse } from '../cpu/binary_f32.js';
import { takeFull } from '../pool.js';
import { getEngine, type Engine } from './gemm.js';
import { binaryRows } from '../cpu/rows.js';
import { KIND } from './worker_source.js';

const CODES: Partial<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3 };
/** Below this many output values one thread does it (no handoff, no arena lookups). */
const MIN_VALUES = 1 << 16;
/** A job with fewer rows has its innermost run cut so that both threads get work. */
const MIN_ROWS = 16;
/** An operand in an ordinary array is copied into scratch up to this many values. */
const SMALL = 4096;

/** a op b into a fresh output in the engine's memory; null when this path does not apply. */
export function simdBinary(op: BinaryOp, a: Float32Array, aShape: readonly number[], b: Float32Array, bShape: readonly number[], outShape: readonly number[], size: number): Float32Array | null {
  const code = CODES[op];
  if (code === undefined || size < MIN_VALUES) return null;
  const e = getEngine();
  const { sizes, sa, sb } = collapse(aShape, bShape, outShape);
  for (let d = 0; d < sizes.length; d++) if (sa[d] === 0 && sb[d] === 0) return null;
  const placed = place(e, [a, b]);
  if (!placed) return null;
  const out = takeFull(size);
  const oAt = e.addressOf(out);
  if (oAt === null) return null;
  run(e, code, placed[0]!, placed[1]!, oAt >>> 2, sizes, sa, sb, size);
  return out;
}

/**
 * Float indices of arrays in the engine memory: where each lives, or a scratch copy of a small one
 * (a scale, a bias: under SMALL values); null if a large one lives elsewhere.
 */
function place(e: Engine, arrays: readonly Float32Array[]): number[] | null {
  const at = arrays.map((a) => e.addressOf(a));
  if (arrays.some((a, i) => at[i] === null && a.length > SMALL)) return null;
  let next = e.scratch(arrays.reduce((s, a, i) => s + (at[i] === null ? 4 * a.length + 64 : 0), 64));
  const heap = e.heap();
  return arrays.map((a, i) => {
    const have = at[i];
    if (have !== null && have !== undefined) return have >>> 2;
    const here = next >>> 2;
    heap.set(a, here);
    next += 4 * a.length + 64;
    return here;
  });
}

/** out[i] = a op b over the collapsed runs, the rows shared with the worker. */
function run(e: Engine, code: number, fa: number, fb: number, fo: number, sizes: number[], sa: number[], sb: number[], size: number): void {
  let r = sizes.length;
  // cut the innermost run while there are too few rows to share (both operands read it with stride
  // 1 or broadcast it with stride 0, so the cut keeps the same walk)
  let rows = size / sizes[r - 1]!;
  while (rows < MIN_ROWS && sizes[r - 1]! % 16 === 0 && sizes[r - 1]! >= 16 * 256) {
    const n = sizes[r - 1]! / 16;
    sizes.splice(r - 1, 1, 16, n);
    sa.splice(r - 1, 1, sa[r - 1]! * n, sa[r - 1]!);
    sb.splice(r - 1, 1, sb[r - 1]! * n, sb[r - 1]!);
    r++;
    rows *= 16;
  }
  const f = e.heap();
  e.runRows(KIND.binary, [code, fa, fb, fo, r, ...sizes, ...sa, ...sb], rows, 3 * size, (q0, q1) => binaryRows(code, f, fa, f, fb, f, fo, r, sizes, sa, sb, q0, q1));
}

/**
 * Adds bias[c] to out (rows, c, inner) in place where out lives in the engine memory (a product's
 * fresh output); false (nothing done) otherwise. The same float32 additions as cpu/matmul.ts's addBias.
 */
export function simdAddBias(out: Float32Array, bias: Float32Array, inner: number): boolean {
  if (out.length < MIN_VALUES || bias.length === 0) return false;
  const e = getEngine();
  // out itself must live there (a scratch copy would take the sums)
  if (e.addressOf(out) === null) return false;
  const placed = place(e, [out, bias]);
  if (!placed) return false;
  const c = bias.length;
  const { sizes, sa, sb } = collapse([out.length / (c * inner), c, inner], [1, c, 1], [out.length / (c * inner), c, inner]);
  run(e, 0, placed[0]!, placed[1]!, placed[0]!, sizes, sa, sb, out.length);
  return true;
}
