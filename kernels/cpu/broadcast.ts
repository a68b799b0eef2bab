// Walking a broadcast: every output element with one running offset per operand (the strides
// themselves come from kernels/shape.ts).
import { numel } from '../shape.js';

/**
 * Calls `body(outIndex, offsets...)` for every output element in row-major order, keeping one
 * running offset per operand. The innermost axis runs in a tight loop.
 */
export function forEachBroadcast(
  outShape: readonly number[],
  operandStrides: readonly (readonly number[])[],
  inner: (start: number, len: number, offsets: number[], innerStrides: number[]) => void,
): void {
  const rank = outShape.length;
  const total = numel(outShape);
  if (total === 0) return;
  const k = operandStrides.length;
  if (rank === 0) {
    inner(0, 1, new Array<number>(k).fill(0), new Array<number>(k).fill(0));
    return;
  }
  const last = outShape[rank - 1]!;
  const innerStrides = operandStrides.map((s) => s[rank - 1]!);
  const idx = new Array<number>(rank - 1).fill(0);
  const offsets = new Array<number>(k).fill(0);
  for (let start = 0; start < total; start += last) {
    inner(start, last, offsets, innerStrides);
    // advance the outer multi-index (odometer), updating each operand's offset incrementally
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      for (let j = 0; j < k; j++) offsets[j]! += operandStrides[j]![d]!;
      if (idx[d]! < outShape[d]!) break;
      for (let j = 0; j < k; j++) offsets[j]! -= operandStrides[j]![d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
}
