// conv2d and both backward products. Stride 1 (every conv of the UNet but the downsamplers) runs
// as sums of shifted GEMMs over a padded copy of the input (conv_taps.ts): the forward, the
// backward input (the forward over dy with the kernel flipped and its channels swapped, read in
// place; padding k - 1 - pad) and the backward filter. Other strides are GEMMs whose patch operand
// is packed straight from the image (im2col fused into the panel packing, no patch matrix):
//   forward          y_b (o, L) = W (o, K) @ cols_b (K, L)            one batched GEMM, W shared
//   backward input   cols_b (K, L) = W^T (K, o) @ dy_b (o, L), then col2im (scatter-add)
//   backward filter  dW (o, K) = [dy_0 .. dy_n] (o, n L) @ [cols_0; ..; cols_n] (n L, K), one GEMM
// with K = c kh kw and L = outH outW.
import type { Conv2dArgs } from '../backend.js';
import { col2imAdd } from '../cpu/conv2d.js';
import { addBias } from '../cpu/matmul.js';
import { MR, NR } from './gemm_module.js';
import { tapConv, tapConvFilter } from './conv_taps.js';
import { simdAddBias } from './binary.js';
import { takeZeroed } from '../pool.js';
import { directA, directB, packedA, packedB, runGemm } from './gemm.js';

/** Per patch row p = (ci, ki, kj): the image offset ci*h*w and the kernel offsets. */
interface Patch {
  chan: Int32Array;
  ki: Int32Array;
  kj: Int32Array;
  /** per output position l = (oy, ox): oy*strideH - padH and ox*strideW - padW */
  y0: Int32Array;
  x0: Int32Array;
}

function patchIndex(a: Conv2dArgs): Patch {
  const K = a.c * a.kh * a.kw;
  const L = a.outH * a.outW;
  const chan = new Int32Array(K);
  const ki = new Int32Array(K);
  const kj = new Int32Array(K);
  for (let p = 0; p < K; p++) {
    const ci = Math.floor(p / (a.kh * a.kw));
    const r = p - ci * a.kh * a.kw;
    chan[p] = ci * a.h * a.w;
    ki[p] = Math.floor(r / a.kw);
    kj[p] = r - ki[p]! * a.kw;
  }
  const y0 = new Int32Array(L);
  const x0 = new Int32Array(L);
  for (let l = 0; l < L; l++) {
    const oy = Math.floor(l / a.outW);
    y0[l] = oy * a.strideH - a.padH;
    x0[l] = (l - oy * a.outW) * a.strideW - a.padW;
  }
  return { chan, ki, kj, y0, x0 };
}

/** B panels of cols (K x L) for the image at x[off..]: index (jp*K + p)*8 + c, l = 8 jp + c. */
function packCols(x: Float32Array, off: number, a: Conv2dArgs, pi: Patch, dst: Float32Array, base: number): void {
  const K = a.c * a.kh * a.kw;
  const L = a.outH * a.outW;
  const np = Math.ceil(L / NR);
  const { chan, ki, kj, y0, x0 } = pi;
  const { h, w } = a;
  let d = base;
  for (let jp = 0; jp < np; jp++) {
    const l0 = jp * NR;
    const lw = Math.min(NR, L - l0);
    // the 8 positions lie on one output row and read 8 adjacent input pixels (stride 1)
    const run = lw === NR && a.strideW === 1 && y0[l0] === y0[l0 + NR - 1];
    for (let p = 0; p < K; p++) {
      const src = off + chan[p]!;
      const dy = ki[p]!;
      const dx = kj[p]!;
      if (run) {
        const iy = y0[l0]! + dy;
        const ix = x0[l0]! + dx;
        if (iy < 0 || iy >= h) {
          for (let c = 0; c < NR; c++) dst[d + c] = 0;
          d += NR;
          continue;
        }
        if (ix >= 0 && ix + NR <= w) {
          const s = src + iy * w + ix;
          dst[d] = x[s]!; dst[d + 1] = x[s + 1]!; dst[d + 2] = x[s + 2]!; dst[d + 3] = x[s + 3]!;
          dst[d + 4] = x[s + 4]!; dst[d + 5] = x[s + 5]!; dst[d + 6] = x[s + 6]!; dst[d + 7] = x[s + 7]!;
          d += NR;
          continue;
        }
      }
      for (let c = 0; c < lw; c++) {
        const iy = y0[l0 + c]! + dy;
        const ix = x0[l0 + c]! + dx;
        dst[d + c] = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[src + iy * w + ix]! : 0;
      }
      for (let c = lw; c < NR; c++) dst[d + c] = 0;
      d += NR;
    }
  }
}

/**
 * B panels of [cols_0; ..; cols_{n-1}] (n L x K): index (jp*nL + q)*8 + c, q = b L + l, p = 8 jp + c.
 * Filled one kernel tap (column c) at a time, walking output rows, so reads run along image rows.
 */
function packColsT(x: Float32Array, a: Conv2dArgs, pi: Patch, dst: Float32Array, base: number): void {
  const K = a.c * a.kh * a.kw;
  const L = a.outH * a.outW;
  const nL = a.n * L;
  const np = Math.ceil(K / NR);
  const { chan, ki, kj } = pi;
  const { h, w, outH, outW, strideH, strideW, padH, padW } = a;
  const img = a.c * h * w;
  for (let jp = 0; jp < np; jp++) {
    const panel = base + jp * nL * NR;
    for (let c = 0; c < NR; c++) {
      const p = jp * NR + c;
      if (p >= K) {
        for (let q = 0; q < nL; q++) dst[panel + q * NR + c] = 0;
        continue;
      }
      const dy = ki[p]!;
      const dx = kj[p]!;
      // output columns whose input column is inside the image
      const ox0 = Math.max(0, Math.ceil((padW - dx) / strideW));
      const ox1 = Math.min(outW, Math.floor((w - 1 + padW - dx) / strideW) + 1);
      for (let b = 0; b < a.n; b++) {
        const src = b * img + chan[p]!;
        for (let oy = 0; oy < outH; oy++) {
          let d = panel + (b * L + oy * outW) * NR + c;
          const iy = oy * strideH - padH + dy;
          if (iy < 0 || iy >= h || ox0 >= ox1) {
            for (let ox = 0; ox < outW; ox++, d += NR) dst[d] = 0;
            continue;
          }
          let ox = 0;
          for (; ox < ox0; ox++, d += NR) dst[d] = 0;
          for (let s = src + iy * w + ox0 * strideW - padW + dx; ox < ox1; ox++, d += NR, s += strideW) dst[d] = x[s]!;
          for (; ox < outW; ox++, d += NR) dst[d] = 0;
        }
      }
    }
  }
}

const stride1 = (a: Conv2dArgs): boolean => a.strideH === 1 && a.strideW === 1;

export function sgemmConv2d(x: Float32Array, w: Float32Array, a: Conv2dArgs, bias: Float32Array | null = null): Float32Array {
  const { c, kh, kw } = a;
  if (stride1(a)) {
    return tapConv({ src: x, n: a.n, cin: c, h: a.h, w: a.w, cout: a.o, kh, kw, padH: a.padH, padW: a.padW, weight: w, wRow: c * kh * kw, wStep: kh * kw, tap: (i, j) => i * kw + j, bias });
  }
  const L = a.outH * a.outW;
  const K = a.c * a.kh * a.kw;
  const pi = patchIndex(a);
  // one GEMM over the batch: W shared, each image's patches its own B, y_b lands at out[b*o*L]
  const out = runGemm({
    batch: a.n, m: a.o, k: K, n: L,
    a: directA(w, 0, false, a.o, K),
    b: packedB(K, L, false, (t, dst, base) => packCols(x, t * a.c * a.h * a.w, a, pi, dst, base)),
  }, takeZeroed(a.n * a.o * L), 0);
  if (bias && simdAddBias(out, bias, L)) return out;
  return addBias(out, bias, L);
}

export function sgemmConv2dBackwardInput(dy: Float32Array, w: Float32Array, a: Conv2dArgs): Float32Array {
  if (stride1(a) && a.padH <= a.kh - 1 && a.padW <= a.kw - 1) {
    // the weight read in place as A: row = input channel ci, step = output channel oc, taps flipped
    const { c, o, kh, kw } = a;
    return tapConv({
      src: dy, n: a.n, cin: o, h: a.outH, w: a.outW, cout: c, kh, kw, padH: kh - 1 - a.padH, padW: kw - 1 - a.padW,
      weight: w, wRow: kh * kw, wStep: c * kh * kw, tap: (i, j) => (kh - 1 - i) * kw + (kw - 1 - j), bias: null,
    });
  }
  const L = a.outH * a.outW;
  const K = a.c * a.kh * a.kw;
  const dx = takeZeroed(a.n * a.c * a.h * a.w);
  const cols = new Float32Array(a.n * K * L);
  runGemm({ batch: a.n, m: K, k: a.o, n: L, a: directA(w, 0, true, K, a.o), b: directB(dy, a.o * L, a.o, L) }, cols, 0);
  for (let b = 0; b < a.n; b++) col2imAdd(cols.subarray(b * K * L, (b + 1) * K * L), a, dx, b * a.c * a.h * a.w);
  return dx;
}

export function sgemmConv2dBackwardFilter(x: Float32Array, dy: Float32Array, a: Conv2dArgs): Float32Array {
  if (stride1(a)) return tapConvFilter(x, dy, a);
  const L = a.outH * a.outW;
  const K = a.c * a.kh * a.kw;
  const nL = a.n * L;
  const pi = patchIndex(a);
  return runGemm({
    batch: 1, m: a.o, k: nL, n: K,
    // A = [dy_0 .. dy_{n-1}] (o, n L): row i, column q = b L + l is dy[b][i][l]
    a: packedA(a.o, nL, true, (_t, dst, base) => {
      const mp = Math.ceil(a.o / MR);
      for (let ip = 0; ip < mp; ip++) {
        const panel = base + ip * nL * MR;
        for (let r = 0; r < MR; r++) {
          const i = ip * MR + r;
          if (i >= a.o) {
            for (let q = 0; q < nL; q++) dst[panel + q * MR + r] = 0;
            continue;
          }
          for (let b = 0; b < a.n; b++) {
            const src = (b * a.o + i) * L;
            const q0 = b * L;
            for (let l = 0; l < L; l++) dst[panel + (q0 + l) * MR + r] = dy[src + l]!;
          }
        }
      }
    }),
    b: packedB(nL, K, true, (_t, dst, base) => packColsT(x, a, pi, dst, base)),
  }, takeZeroed(a.o * K), 0);
}
