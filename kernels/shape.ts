// The one rule of row-major layout, for the kernels and (re-exported by core/shape.ts) the ops:
// how many elements a shape holds and the strides of a contiguous tensor of that shape.

/** The number of elements of `shape` (1 for a scalar's []). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a contiguous `shape`: the last axis has stride 1. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Strides of `shape` read against an output of the same rank: 0 on the axes it is broadcast along. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  return stridesOf(shape).map((v, i) => (shape[i] === 1 && outShape[i] !== 1 ? 0 : v));
}
