// Strided views and index gathers, each with its adjoint (a scatter-add) beside it.
import type { StridedArgs } from '../backend.js';
import { allocArray, type DType, type TypedArray } from '../types.js';
import { numel } from '../shape.js';

/** The view with size-1 dims dropped and neighbours merged where they walk memory as one dim. */
export function collapseView(shape: readonly number[], strides: readonly number[]): { sizes: number[]; steps: number[] } {
  const sizes: number[] = [];
  const steps: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) continue;
    const last = sizes.length - 1;
    if (last >= 0 && steps[last] === strides[d]! * n) {
      sizes[last]! *= n;
      steps[last] = strides[d]!;
    } else {
      sizes.push(n);
      steps.push(strides[d]!);
    }
  }
  return { sizes, steps };
}

/**
 * Calls `run(o, p, n, step)` for each innermost run of the view: output elements o..o+n read
 * from p, p+step, ... (an odometer over the outer dims, no per-element bookkeeping).
 */
function forEachRun(a: StridedArgs, size: number, run: (o: number, p: number, n: number, step: number) => void): void {
  if (size === 0) return;
  const { sizes, steps } = collapseView(a.outShape, a.strides);
  const r = sizes.length;
  if (r === 0) {
    run(0, a.offset, 1, 1);
    return;
  }
  const n = sizes[r - 1]!;
  const step = steps[r - 1]!;
  const idx = new Array<number>(r - 1).fill(0);
  let p = a.offset;
  for (let o = 0; o < size; o += n) {
    run(o, p, n, step);
    for (let d = r - 2; d >= 0; d--) {
      p += steps[d]!;
      if (++idx[d]! < sizes[d]!) break;
      p -= steps[d]! * sizes[d]!;
      idx[d] = 0;
    }
  }
}

export function strided(x: TypedArray, a: StridedArgs, dtype: DType): TypedArray {
  const size = numel(a.outShape);
  const out = allocArray(dtype, size);
  forEachRun(a, size, (o, p, n, step) => {
    if (step === 1) for (let i = 0; i < n; i++) out[o + i] = x[p + i]!;
    else for (let i = 0; i < n; i++, p += step) out[o + i] = x[p]!;
  });
  return out;
}

export function stridedScatterAdd(src: TypedArray, size: number, a: StridedArgs, dtype: DType): TypedArray {
  const out = allocArray(dtype, size);
  forEachRun(a, numel(a.outShape), (o, p, n, step) => {
    if (step === 1) for (let i = 0; i < n; i++) out[p + i]! += src[o + i]!;
    else for (let i = 0; i < n; i++, p += step) out[p]! += src[o + i]!;
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
