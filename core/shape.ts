// Shape arithmetic: sizes, normalised dims, broadcasting (NumPy / PyTorch rules).

export type Shape = readonly number[];

// the one strides/size rule lives with the kernels, which need it first
export { numel, stridesOf } from '../kernels/shape.js';

/** Maps a possibly negative dim into [0, rank), naming the culprit when it is out of range. */
export function normDim(dim: number, rank: number, what = 'dim'): number {
  const r = Math.max(rank, 1);
  if (!Number.isInteger(dim) || dim < -r || dim >= r) {
    throw new RangeError(`${what} ${dim} is out of range for a tensor of rank ${rank} (expected in [${-r}, ${r - 1}])`);
  }
  return dim < 0 ? dim + r : dim;
}

export function normDims(dims: number | readonly number[] | undefined, rank: number): number[] {
  if (dims === undefined) return [...Array(rank).keys()];
  const list = typeof dims === 'number' ? [dims] : [...dims];
  const out = list.map((d) => normDim(d, rank));
  if (new Set(out).size !== out.length) throw new Error(`dims ${JSON.stringify(list)} repeat an axis`);
  return out.sort((a, b) => a - b);
}

export function broadcastShapes(a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`shapes [${a.join(', ')}] and [${b.join(', ')}] cannot be broadcast (dim ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** `shape` left-padded with ones to `rank`. */
export function padShape(shape: Shape, rank: number): number[] {
  return [...new Array<number>(rank - shape.length).fill(1), ...shape];
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function checkShape(shape: Shape, what = 'shape'): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${what} [${shape.join(', ')}] has an invalid size ${d}`);
  }
}
