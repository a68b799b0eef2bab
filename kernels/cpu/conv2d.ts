// conv2d through im2col: the patch matrix (C*kh*kw, outH*outW) of each image turns the forward and
// both backward products into matmuls; col2im is the adjoint that scatters patches back.
import type { Conv2dArgs } from '../backend.js';
import { allocArray, type DType, type TypedArray } from '../types.js';
import { matmul } from './matmul.js';

export function im2col(x: TypedArray, off: number, a: Conv2dArgs, cols: TypedArray): void {
  const { c, h, w, kh, kw, strideH, strideW, padH, padW, outH, outW } = a;
  const L = outH * outW;
  for (let ci = 0; ci < c; ci++)
    for (let ki = 0; ki < kh; ki++)
      for (let kj = 0; kj < kw; kj++) {
        const row = ((ci * kh + ki) * kw + kj) * L;
        for (let oy = 0; oy < outH; oy++) {
          const iy = oy * strideH - padH + ki;
          const dst = row + oy * outW;
          if (iy < 0 || iy >= h) {
            for (let ox = 0; ox < outW; ox++) cols[dst + ox] = 0;
            continue;
          }
          const src = off + (ci * h + iy) * w;
          for (let ox = 0; ox < outW; ox++) {
            const ix = ox * strideW - padW + kj;
            cols[dst + ox] = ix >= 0 && ix < w ? x[src + ix]! : 0;
          }
        }
      }
}

export function col2imAdd(cols: TypedArray, a: Conv2dArgs, dx: TypedArray, off: number): void {
  const { c, h, w, kh, kw, strideH, strideW, padH, padW, outH, outW } = a;
  const L = outH * outW;
  for (let ci = 0; ci < c; ci++)
    for (let ki = 0; ki < kh; ki++)
      for (let kj = 0; kj < kw; kj++) {
        const row = ((ci * kh + ki) * kw + kj) * L;
        for (let oy = 0; oy < outH; oy++) {
          const iy = oy * strideH - padH + ki;
          if (iy < 0 || iy >= h) continue;
          const dst = off + (ci * h + iy) * w;
          for (let ox = 0; ox < outW; ox++) {
            const ix = ox * strideW - padW + kj;
            if (ix >= 0 && ix < w) dx[dst + ix]! += cols[row + oy * outW + ox]!;
          }
        }
      }
}

const kdim = (a: Conv2dArgs): number => a.c * a.kh * a.kw;

export function conv2d(x: TypedArray, wt: TypedArray, a: Conv2dArgs, dtype: DType): TypedArray {
  const L = a.outH * a.outW;
  const K = kdim(a);
  const out = allocArray(dtype, a.n * a.o * L);
  const cols = allocArray(dtype, K * L);
  for (let b = 0; b < a.n; b++) {
    im2col(x, b * a.c * a.h * a.w, a, cols);
    // (o, K) @ (K, L)
    out.set(matmul(wt, cols, { batch: 1, m: a.o, k: K, n: L, transA: false, transB: false, strideA: 0, strideB: 0 }, dtype), b * a.o * L);
  }
  return out;
}

export function conv2dBackwardInput(dy: TypedArray, wt: TypedArray, a: Conv2dArgs, dtype: DType): TypedArray {
  const L = a.outH * a.outW;
  const K = kdim(a);
  const dx = allocArray(dtype, a.n * a.c * a.h * a.w);
  for (let b = 0; b < a.n; b++) {
    // cols = W^T (K, o) @ dy_b (o, L)
    const cols = matmul(wt, dy.subarray(b * a.o * L, (b + 1) * a.o * L), { batch: 1, m: K, k: a.o, n: L, transA: true, transB: false, strideA: 0, strideB: 0 }, dtype);
    col2imAdd(cols, a, dx, b * a.c * a.h * a.w);
  }
  return dx;
}

export function conv2dBackwardFilter(x: TypedArray, dy: TypedArray, a: Conv2dArgs, dtype: DType): TypedArray {
  const L = a.outH * a.outW;
  const K = kdim(a);
  const dw = allocArray(dtype, a.o * K);
  const cols = allocArray(dtype, K * L);
  for (let b = 0; b < a.n; b++) {
    im2col(x, b * a.c * a.h * a.w, a, cols);
    // dW += dy_b (o, L) @ cols^T (L, K)
    const part = matmul(dy.subarray(b * a.o * L, (b + 1) * a.o * L), cols, { batch: 1, m: a.o, k: L, n: K, transA: false, transB: true, strideA: 0, strideB: 0 }, dtype);
    for (let i = 0; i < dw.length; i++) dw[i]! += part[i]!;
  }
  return dw;
}
