// Group and layer normalisation as single kernels: statistics, normalisation and the affine in
// two passes over each row, and a backward that yields dx, dweight and dbias together. Both norms
// are one row kernel: a row (one sample's group, or one token) of `cols` values is `cpg` channel
// blocks of `spatial` values each, and block q of row r uses affine channel (r % groups) * cpg + q.
// Sums are taken in float64 (JS numbers) whatever the storage dtype, and the forward normalises
// with the stored (dtype-rounded) mean and rstd, so the backward sees exactly what the forward used.
import type { GroupNormArgs, LayerNormArgs } from '../backend.js';
import { allocArray, type DType, type TypedArray } from '../types.js';

interface Rows {
  rows: number;
  cols: number;
  groups: number;
  spatial: number;
  eps: number;
}

const gnRows = (a: GroupNormArgs): Rows => ({ rows: a.n * a.groups, cols: (a.c / a.groups) * a.spatial, groups: a.groups, spatial: a.spatial, eps: a.eps });
const lnRows = (a: LayerNormArgs): Rows => ({ rows: a.rows, cols: a.cols, groups: 1, spatial: 1, eps: a.eps });

export interface NormHost {
  y: TypedArray;
  mean: TypedArray;
  rstd: TypedArray;
}

export interface NormGradsHost {
  dx: TypedArray;
  dweight: TypedArray | null;
  dbias: TypedArray | null;
}

function forward(x: TypedArray, w: TypedArray | null, b: TypedArray | null, r: Rows, dtype: DType): NormHost {
  const { rows, cols, groups, spatial, eps } = r;
  const y = allocArray(dtype, rows * cols);
  const mean = allocArray(dtype, rows);
  const rstd = allocArray(dtype, rows);
  const cpg = spatial === 0 ? 0 : cols / spatial;
  for (let row = 0; row < rows; row++) {
    const o = row * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += x[o + j]!;
    mean[row] = s / cols;
    const mu = mean[row]!;
    let sq = 0;
    for (let j = 0; j < cols; j++) {
      const d = x[o + j]! - mu;
      sq += d * d;
    }
    rstd[row] = 1 / Math.sqrt(sq / cols + eps);
    const rs = rstd[row]!;
    if (!w && !b) {
      for (let j = 0; j < cols; j++) y[o + j] = (x[o + j]! - mu) * rs;
      continue;
    }
    const ch0 = (row % groups) * cpg;
    if (spatial === 1) {
      for (let j = 0; j < cols; j++) y[o + j] = (x[o + j]! - mu) * rs * (w ? w[ch0 + j]! : 1) + (b ? b[ch0 + j]! : 0);
      continue;
    }
    for (let q = 0; q < cpg; q++) {
      const scale = rs * (w ? w[ch0 + q]! : 1);
      const shift = b ? b[ch0 + q]! : 0;
      const p = o + q * spatial;
      for (let j = 0; j < spatial; j++) y[p + j] = (x[p + j]! - mu) * scale + shift;
    }
  }
  return { y, mean, rstd };
}

/**
 * With xhat = (x - mean) rstd and g = dy * w (per channel):
 * dx = rstd (g - mean(g) - xhat mean(g xhat)) over the row; dweight = sum dy xhat; dbias = sum dy.
 */
function backward(dy: TypedArray, x: TypedArray, mean: TypedArray, rstd: TypedArray, w: TypedArray | null, r: Rows, channels: number, needW: boolean, needB: boolean, dtype: DType): NormGradsHost {
  const { rows, cols, groups, spatial } = r;
  const dx = allocArray(dtype, rows * cols);
  const dw = needW ? new Float64Array(channels) : null;
  const db = needB ? new Float64Array(channels) : null;
  const cpg = spatial === 0 ? 0 : cols / spatial;
  for (let row = 0; row < rows; row++) {
    const o = row * cols;
    const mu = mean[row]!;
    const rs = rstd[row]!;
    const ch0 = (row % groups) * cpg;
    let s1 = 0;
    let s2 = 0;
    if (spatial === 1) {
      // layer norm: one value per channel
      for (let j = 0; j < cols; j++) {
        const g = dy[o + j]!;
        const gx = g * (x[o + j]! - mu) * rs;
        const wc = w ? w[ch0 + j]! : 1;
        if (dw) dw[ch0 + j]! += gx;
        if (db) db[ch0 + j]! += g;
        s1 += wc * g;
        s2 += wc * gx;
      }
      const m1 = s1 / cols;
      const m2 = s2 / cols;
      for (let j = 0; j < cols; j++) dx[o + j] = rs * (dy[o + j]! * (w ? w[ch0 + j]! : 1) - m1 - (x[o + j]! - mu) * rs * m2);
      continue;
    }
    for (let q = 0; q < cpg; q++) {
      const c = ch0 + q;
      const wc = w ? w[c]! : 1;
      const p = o + q * spatial;
      let gsum = 0;
      let gx = 0;
      for (let j = 0; j < spatial; j++) {
        const g = dy[p + j]!;
        gsum += g;
        gx += g * (x[p + j]! - mu);
      }
      gx *= rs;
      if (dw) dw[c]! += gx;
      if (db) db[c]! += gsum;
      s1 += wc * gsum;
      s2 += wc * gx;
    }
    const m1 = s1 / cols;
    const m2 = s2 / cols;
    for (let q = 0; q < cpg; q++) {
      const wc = w ? w[ch0 + q]! : 1;
      const p = o + q * spatial;
      for (let j = 0; j < spatial; j++) {
        const xh = (x[p + j]! - mu) * rs;
        dx[p + j] = rs * (dy[p + j]! * wc - m1 - xh * m2);
      }
    }
  }
  const cast = (v: Float64Array | null): TypedArray | null => {
    if (!v) return null;
    const out = allocArray(dtype, v.length);
    out.set(v);
    return out;
  };
  return { dx, dweight: cast(dw), dbias: cast(db) };
}

export function groupNorm(x: TypedArray, w: TypedArray | null, b: TypedArray | null, a: GroupNormArgs, dtype: DType): NormHost {
  return forward(x, w, b, gnRows(a), dtype);
}

export function groupNormBackward(dy: TypedArray, x: TypedArray, mean: TypedArray, rstd: TypedArray, w: TypedArray | null, a: GroupNormArgs, needW: boolean, needB: boolean, dtype: DType): NormGradsHost {
  return backward(dy, x, mean, rstd, w, gnRows(a), a.c, needW, needB, dtype);
}

export function layerNorm(x: TypedArray, w: TypedArray | null, b: TypedArray | null, a: LayerNormArgs, dtype: DType): NormHost {
  return forward(x, w, b, lnRows(a), dtype);
}

export function layerNormBackward(dy: TypedArray, x: TypedArray, mean: TypedArray, rstd: TypedArray, w: TypedArray | null, a: LayerNormArgs, needW: boolean, needB: boolean, dtype: DType): NormGradsHost {
  return backward(dy, x, mean, rstd, w, lnRows(a), a.cols, needW, needB, dtype);
}
