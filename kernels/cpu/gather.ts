// Strided views and index gathers, each with its adjoint (a scatter-add) beside it.
import type { StridedArgs } from '../backend.js';
import { allocArray, type DType, type TypedArray } from '../types.js';
import { forEachBroadcast, sizeOf } from './broadcast.js';

export function strided(x: TypedArray, a: StridedArgs, dtype: DType): TypedArray {
  const out = allocArray(dtype, sizeOf(a.outShape));
  forEachBroadcast(a.outShape, [a.strides], (start, len, [o], [s]) => {
    let p = a.offset + o!;
    for (let i = start; i < start + len; i++, p += s!) out[i] = x[p]!;
  });
  return out;
}

export function stridedScatterAdd(src: TypedArray, size: number, a: StridedArgs, dtype: DType): TypedArray {
  const out = allocArray(dtype, size);
  forEachBroadcast(a.outShape, [a.strides], (start, len, [o], [s]) => {
    let p = a.offset + o!;
    for (let i = start; i < start + len; i++, p += s!) out[p]! += src[i]!;
  });
  return out;
}

export function indexSelect(x: TypedArray, outer: number, dimSize: number, inner: number, idx: Int32Array, dtype: DType): TypedArray {
  const m = idx.length;
  const out = allocArray(dtype, outer * m * inner);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < m; j++) {
      const src = (o * dimSize + idx[j]!) * inner;
      out.set(x.subarray(src, src + inner), (o * m + j) * inner);
    }
  return out;
}

export function indexAdd(src: TypedArray, outer: number, dimSize: number, inner: number, idx: Int32Array, dtype: DType): TypedArray {
  const m = idx.length;
  const out = allocArray(dtype, outer * dimSize * inner);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < m; j++) {
      const dst = (o * dimSize + idx[j]!) * inner;
      const s = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) out[dst + i]! += src[s + i]!;
    }
  return out;
}

export function take(x: TypedArray, flat: Int32Array, dtype: DType): TypedArray {
  const out = allocArray(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) out[i] = x[flat[i]!]!;
  return out;
}

export function takeAdd(src: TypedArray, size: number, flat: Int32Array, dtype: DType): TypedArray {
  const out = allocArray(dtype, size);
  for (let i = 0; i < flat.length; i++) out[flat[i]!]! += src[i]!;
  return out;
}
