// Stride-1 convolutions without im2col: the input is copied once, zero-padded, into the wasm heap,
// and each output is a sum over kernel taps (ki, kj) of the product W_tap @ X shifted by
// ki * Wp + kj, which the GEMM kernel takes as segments (gemm_module.ts) with its accumulators kept
// in registers across all taps. The shift works on rows of the padded width Wp, so each output row
// is computed Wp wide and its last Wp - outW columns are discarded (they read across the row end).
// The weight is read through strides as it is packed into 4-row panels per tap (packTaps), so the
// backward input (the same convolution of dy with the kernel flipped and its channel roles swapped)
// needs no flipped copy of its own.
//   forward / backward input   y_b (cout, outH x Wp) = sum_taps W_tap (cout, cin) @ Xp_b shifted
//   backward filter            dW_tap^T (cin, cout) = sum_b Xp_b shifted (cin, outH x Wp) @ dy_b^T
// Reads past an operand's end land in zeroed slack and reach only discarded rows or columns.
import { getEngine, type Engine } from './gemm.js';
import { padPlanes, transposePlanes, unpadPlanes } from '../cpu/rows.js';
import { padPlanesWasm, transposePlanesWasm, unpadPlanesWasm } from './plane_copies.js';
import { KIND } from './worker_source.js';
import { takeFull, takeZeroed } from '../pool.js';
import { MR, NR } from './gemm_module.js';

const round4 = (n: number): number => (n + 3) & ~3;

/** A stride-1 convolution of `src` (n, cin, h, w) to (n, cout, outH, outW). */
export interface TapConv {
  src: Float32Array;
  n: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  kh: number;
  kw: number;
  padH: number;
  padW: number;
  /** the weight as A: floats between output channels (rows) and input channels (steps), read as it is packed */
  weight: Float32Array;
  wRow: number;
  wStep: number;
  /** float offset of tap (ki, kj) in the weight */
  tap(ki: number, kj: number): number;
  /** added per output channel as the result is copied out */
  bias: Float32Array | null;
}

/**
 * Copies images (n, c, h, w) into the engine memory at float `base`, each plane padded to
 * (h + 2 ph, w + 2 pw), and zeros the rest of the `floats` there; the planes are shared with the
 * worker when the images live in that memory too.
 */
function writePadded(e: Engine, src: Float32Array, n: number, c: number, h: number, w: number, ph: number, pw: number, base: number, floats: number): void {
  const heap = e.heap();
  const sAt = e.addressOf(src);
  const planes = n * c;
  const plane = (h + 2 * ph) * (w + 2 * pw);
  // planes in the engine memory go through the copy kernels (the worker's too), others through a loop
  e.runRows(KIND.pad, [sAt === null ? 0 : sAt >>> 2, base, h, w, ph, pw], planes, sAt === null ? 0 : 2 * planes * plane, (q0, q1) =>
    sAt === null ? padPlanes(src, 0, heap, base, h, w, ph, pw, q0, q1) : padPlanesWasm(e.copies, sAt >>> 2, base, h, w, ph, pw, q0, q1),
  );
  e.copies.zero((base + planes * plane) * 4, (floats - planes * plane) * 4);
}

export function tapConv(t: TapConv): Float32Array {
  const { n, cin, cout, kh, kw } = t;
  const hp = t.h + 2 * t.padH;
  const wp = t.w + 2 * t.padW;
  const outH = hp - kh + 1;
  const outW = wp - kw + 1;
  // every value is written as C is copied out
  const out = takeFull(n * cout * outH * outW);
  if (out.length === 0) return out;
  const plane = hp * wp;
  const L = outH * wp;
  const mp = Math.ceil(cout / MR);
  const np = Math.ceil(L / NR);
  const taps: number[] = [];
  for (let ki = 0; ki < kh; ki++) for (let kj = 0; kj < kw; kj++) taps.push(t.tap(ki, kj));
  // A: each tap's weight (cout x cin) packed in 4-row panels, rows past cout zero
  const tapFloats = mp * MR * cin;
  const wFloats = taps.length * tapFloats;
  // B columns up to np*8 - 1, shifted by the last tap, are read
  const imgFloats = cin * plane;
  const xFloats = round4((n - 1) * imgFloats + (cin - 1) * plane + np * NR + (kh - 1) * wp + kw);
  const cFloats = mp * MR * np * NR;
  const e = getEngine();
  const biasFloats = t.bias ? round4(cout) : 0;
  const wAt = e.scratch((wFloats + xFloats + n * cFloats + biasFloats) * 4);
  const xAt = wAt + wFloats * 4;
  const cAt = xAt + xFloats * 4;
  const biasAt = cAt + n * cFloats * 4;
  const heap = e.heap();
  packTaps(t.weight, cout, cin, t.wRow, t.wStep, taps, heap, wAt >>> 2, tapFloats);
  writePadded(e, t.src, n, cin, t.h, t.w, t.padH, t.padW, xAt >>> 2, xFloats);
  if (t.bias) heap.set(t.bias, biasAt >>> 2);
  const segs: [number, number][] = [];
  for (let ki = 0; ki < kh; ki++) for (let kj = 0; kj < kw; kj++) segs.push([(ki * kw + kj) * tapFloats * 4, (ki * wp + kj) * 4]);
  e.run({
    entries: Array.from({ length: n }, (_, b) => [wAt, xAt + b * imgFloats * 4, cAt + b * cFloats * 4] as const),
    segs, mp, np, k: cin, ldc: np * NR * 4,
    aPanel: MR * cin * 4, aRow: 4, aStep: MR * 4, bPanel: NR * 4, bStep: plane * 4,
  });
  // copied out without the discarded columns, bias added, the planes shared with the worker
  const view = e.heap();
  const oAt = e.addressOf(out);
  const args = [cAt >>> 2, cFloats, np * NR, wp, outH, outW, cout, t.bias ? biasAt >>> 2 : -1] as const;
  e.runRows(KIND.unpad, [...args, oAt === null ? 0 : oAt >>> 2], n * cout, oAt === null ? 0 : 2 * out.length, (q0, q1) =>
    oAt === null ? unpadPlanes(view, ...args, out, 0, q0, q1) : unpadPlanesWasm(e.copies, ...args, oAt >>> 2, q0, q1),
  );
  return out;
}

/**
 * The weight, read through strides (row = output channel, step = input channel, plus each tap's
 * offset), as one block of 4-row panels per tap: f32 index base + tap*tapFloats + (ip*cin + p)*4 + r.
 * Read in place, the backward input's steps lay c*kh*kw floats apart (4.5 KiB at 128 channels), a
 * stride that maps a panel's k steps onto 8 of L1's 64 sets; packed, 16x128x8x8 ran 12.5 -> 8.6 ms.
 */
function packTaps(weight: Float32Array, cout: number, cin: number, wRow: number, wStep: number, taps: readonly number[], heap: Float32Array, base: number, tapFloats: number): void {
  const rows = Math.ceil(cout / MR) * MR;
  for (let t = 0; t < taps.length; t++) {
    const tapBase = base + t * tapFloats;
    for (let row = 0; row < rows; row++) {
      const d0 = tapBase + Math.floor(row / MR) * MR * cin + (row % MR);
      if (row >= cout) {
        for (let p = 0; p < cin; p++) heap[d0 + p * MR] = 0;
        continue;
      }
      const s0 = row * wRow + taps[t]!;
      for (let p = 0; p < cin; p++) heap[d0 + p * MR] = weight[s0 + p * wStep]!;
    }
  }
}

/** dW (cout, cin, kh, kw) of a stride-1 convolution of x (n, cin, h, w) with output gradient dy. */
export function tapConvFilter(x: Float32Array, dy: Float32Array, a: { n: number; c: number; h: number; w: number; o: number; kh: number; kw: number; padH: number; padW: number }): Float32Array {
  const { n, c: cin, o: cout, kh, kw } = a;
  const hp = a.h + 2 * a.padH;
  const wp = a.w + 2 * a.padW;
  const outH = hp - kh + 1;
  const outW = wp - kw + 1;
  if (n * outH * outW === 0) return takeZeroed(cout * cin * kh * kw);
  // every value is written as C is copied out
  const dw = takeFull(cout * cin * kh * kw);
  if (dw.length === 0) return dw;
  const plane = hp * wp;
  const L = outH * wp;
  const mp = Math.ceil(cin / MR);
  const np = Math.ceil(cout / NR);
  const imgFloats = cin * plane;
  // A = padded x: rows (input channels) up to mp*4 - 1, steps up to L - 1, shifted by the last tap
  const xFloats = round4((n - 1) * imgFloats + (mp * MR - 1) * plane + L + (kh - 1) * wp + kw);
  // B = dy^T in 8-column panels over the padded-width positions (zero in the discarded columns)
  const dyFloats = np * NR * L;
  const cFloats = mp * MR * np * NR;
  const e = getEngine();
  const xAt = e.scratch((xFloats + n * dyFloats + kh * kw * cFloats) * 4);
  const dyAt = xAt + xFloats * 4;
  const cAt = dyAt + n * dyFloats * 4;
  const heap = e.heap();
  writePadded(e, x, n, cin, a.h, a.w, a.padH, a.padW, xAt >>> 2, xFloats);
  e.copies.zero(dyAt, n * dyFloats * 4);
  // dy^T into 8-column panels (NR), the planes shared with the worker when dy lives in the engine memory
  const dAt = e.addressOf(dy);
  const targs = [dyAt >>> 2, dyFloats, cout, outH, outW, wp] as const;
  e.runRows(KIND.transpose, [dAt === null ? 0 : dAt >>> 2, ...targs], n * cout, dAt === null ? 0 : 2 * dy.length, (q0, q1) =>
    dAt === null ? transposePlanes(dy, 0, heap, ...targs, q0, q1) : transposePlanesWasm(e.copies, dAt >>> 2, ...targs, q0, q1),
  );
  const entries: [number, number, number][] = [];
  for (let ki = 0; ki < kh; ki++) for (let kj = 0; kj < kw; kj++) entries.push([xAt + (ki * wp + kj) * 4, dyAt, cAt + entries.length * cFloats * 4]);
  e.run({
    entries,
    segs: Array.from({ length: n }, (_, b) => [b * imgFloats * 4, b * dyFloats * 4] as const),
    mp, np, k: L, ldc: np * NR * 4,
    aPanel: MR * plane * 4, aRow: plane * 4, aStep: 4, bPanel: L * NR * 4, bStep: NR * 4,
  });
  const view = e.heap();
  const ldcF = np * NR;
  for (let tp = 0; tp < kh * kw; tp++) {
    const base = (cAt >>> 2) + tp * cFloats;
    for (let ci = 0; ci < cin; ci++)
      for (let oc = 0; oc < cout; oc++) dw[(oc * cin + ci) * kh * kw + tp] = view[base + ci * ldcF + oc]!;
  }
  return dw;
}
