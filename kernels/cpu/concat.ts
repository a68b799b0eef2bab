// Concatenation along one axis as one pass of row copies: each piece is an (outer, rows_i) matrix
// and the output lays the pieces' rows side by side for every outer index. It replaces a zero
// buffer per piece plus a strided scatter-add and a full-size add per piece; like that sum it
// writes +0 for -0 (v + 0), so results keep their bytes.
import { allocArray, type DType, type TypedArray } from '../types.js';

export function concat(xs: readonly TypedArray[], outer: number, rows: readonly number[], dtype: DType): TypedArray {
  if (xs.length !== rows.length) throw new Error(`concat: ${xs.length} pieces but ${rows.length} row lengths`);
  const total = rows.reduce((s, r) => s + r, 0);
  const out = allocArray(dtype, outer * total);
  for (let p = 0, col = 0; p < xs.length; col += rows[p]!, p++) {
    const src = xs[p]!;
    const r = rows[p]!;
    if (src.length !== outer * r) throw new Error(`concat: piece ${p} has ${src.length} values, expected ${outer} x ${r}`);
    for (let o = 0; o < outer; o++) {
      const s = o * r;
      const d = o * total + col;
      for (let j = 0; j < r; j++) out[d + j] = src[s + j]! + 0;
    }
  }
  return out;
}
