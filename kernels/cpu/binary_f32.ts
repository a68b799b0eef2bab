// Float32 add/sub/mul/div over broadcast operands without per-element dispatch. The shapes are
// collapsed first: size-1 output dims dropped and neighbouring dims merged while each operand is
// either read along them or broadcast along them, so a bias over [1, C, 1, 1] becomes three runs
// (batch: b broadcast; channels: both read; pixels: b broadcast) and the innermost run is a plain
// vector-vector, vector-scalar or scalar-vector loop (rows.ts's binaryRows, which the SIMD engine's
// worker runs too). These loops only ever see Float32Array, so V8 keeps them
// monomorphic (a loop shared with float64 ran ~1.5x slower); float64 (gradient checks) and the
// other ops take the general path in elementwise.ts.
import type { BinaryOp } from '../backend.js';
import { binaryRows } from './rows.js';

/** The ops with their own loops, as small integers for the switches. */
const CODES: Partial<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3 };

/** Merged runs of the output: size, and per operand its stride (0 where broadcast). */
interface Runs {
  sizes: number[];
  sa: number[];
  sb: number[];
}

/** Collapses (aShape, bShape) against outShape into runs; all three have the same rank. */
export function collapse(aShape: readonly number[], bShape: readonly number[], outShape: readonly number[]): Runs {
  const sizes: number[] = [];
  const bcA: boolean[] = [];
  const bcB: boolean[] = [];
  for (let d = 0; d < outShape.length; d++) {
    const n = outShape[d]!;
    if (n === 1) continue;
    const ba = aShape[d] === 1;
    const bb = bShape[d] === 1;
    const last = sizes.length - 1;
    if (last >= 0 && bcA[last] === ba && bcB[last] === bb) sizes[last]! *= n;
    else {
      sizes.push(n);
      bcA.push(ba);
      bcB.push(bb);
    }
  }
  // row-major strides of each operand over its own (unbroadcast) runs
  const strides = (bc: boolean[]): number[] => {
    const s = new Array<number>(sizes.length);
    let acc = 1;
    for (let i = sizes.length - 1; i >= 0; i--) {
      s[i] = bc[i] ? 0 : acc;
      if (!bc[i]) acc *= sizes[i]!;
    }
    return s;
  };
  return { sizes, sa: strides(bcA), sb: strides(bcB) };
}

/** Writes a op b into `out` when `op` has its own loops; false (nothing written) otherwise. */
export function binaryF32(op: BinaryOp, a: Float32Array, aShape: readonly number[], b: Float32Array, bShape: readonly number[], outShape: readonly number[], out: Float32Array): boolean {
  const code = CODES[op];
  if (code === undefined) return false;
  if (out.length === 0) return true;
  const { sizes, sa, sb } = collapse(aShape, bShape, outShape);
  const r = sizes.length;
  // an output wider than both operands is not a broadcast this path knows
  for (let d = 0; d < r; d++) if (sa[d] === 0 && sb[d] === 0) return false;
  if (r === 0) {
    binaryRows(code, a, 0, b, 0, out, 0, 1, [1], [1], [1], 0, 1);
    return true;
  }
  binaryRows(code, a, 0, b, 0, out, 0, r, sizes, sa, sb, 0, out.length / sizes[r - 1]!);
  return true;
}
