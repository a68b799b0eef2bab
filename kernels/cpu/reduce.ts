// Reductions over any set of axes: the shape is viewed as (outer, reduced, inner) blocks by
// permuting nothing; we walk the kept axes as the output and the reduced axes as the inner loop.
import type { ReduceOp } from '../backend.js';
import { allocArray, type DType, type TypedArray } from '../types.js';
import { contiguousStrides, sizeOf } from './broadcast.js';

export function reduce(op: ReduceOp, x: TypedArray, shape: readonly number[], axes: readonly number[], dtype: DType): TypedArray {
  const rank = shape.length;
  const reduced = new Set(axes);
  const keptAxes = [...Array(rank).keys()].filter((d) => !reduced.has(d));
  const redAxes = [...Array(rank).keys()].filter((d) => reduced.has(d));
  const strides = contiguousStrides(shape);
  const outSize = sizeOf(keptAxes.map((d) => shape[d]!));
  const redSize = sizeOf(redAxes.map((d) => shape[d]!));
  const out = allocArray(dtype, outSize);
  const init = op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity;

  // fast path: reducing a contiguous trailing block
  const trailing = redAxes.length > 0 && redAxes.every((d, i) => d === rank - redAxes.length + i);
  if (trailing || redSize === 1 || redAxes.length === 0) {
    if (trailing) {
      for (let o = 0; o < outSize; o++) {
        let acc = init;
        const base = o * redSize;
        if (op === 'sum') for (let r = 0; r < redSize; r++) acc += x[base + r]!;
        else if (op === 'max') for (let r = 0; r < redSize; r++) { const v = x[base + r]!; if (v > acc || Number.isNaN(v)) acc = v; }
        else for (let r = 0; r < redSize; r++) { const v = x[base + r]!; if (v < acc || Number.isNaN(v)) acc = v; }
        out[o] = acc;
      }
      return out;
    }
  }
  const redOffsets = offsetsOf(redAxes.map((d) => shape[d]!), redAxes.map((d) => strides[d]!));
  const keptOffsets = offsetsOf(keptAxes.map((d) => shape[d]!), keptAxes.map((d) => strides[d]!));
  for (let o = 0; o < outSize; o++) {
    const base = keptOffsets[o]!;
    let acc = init;
    if (op === 'sum') for (let r = 0; r < redSize; r++) acc += x[base + redOffsets[r]!]!;
    else if (op === 'max') for (let r = 0; r < redSize; r++) { const v = x[base + redOffsets[r]!]!; if (v > acc || Number.isNaN(v)) acc = v; }
    else for (let r = 0; r < redSize; r++) { const v = x[base + redOffsets[r]!]!; if (v < acc || Number.isNaN(v)) acc = v; }
    out[o] = acc;
  }
  return out;
}

/** Flat offsets of every multi-index of `dims` under `strides`, in row-major order. */
function offsetsOf(dims: readonly number[], strides: readonly number[]): Int32Array {
  const n = sizeOf(dims);
  const out = new Int32Array(n);
  const idx = new Array<number>(dims.length).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let d = dims.length - 1; d >= 0; d--) {
      idx[d]!++;
      off += strides[d]!;
      if (idx[d]! < dims[d]!) break;
      off -= strides[d]! * dims[d]!;
      idx[d] = 0;
    }
  }
  return out;
}
