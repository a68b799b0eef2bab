// Row softmax with the max subtracted first (stable for any logits), and its backward
// dx = y * (dy - sum(dy * y)).
import { allocArray, type DType, type TypedArray } from '../types.js';

export function softmax(x: TypedArray, rows: number, cols: number, dtype: DType): TypedArray {
  const out = allocArray(dtype, rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mx = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j]! > mx) mx = x[o + j]!;
    if (mx === -Infinity) mx = 0; // a fully masked row gives NaN in PyTorch; keep 0/0 -> NaN likewise below
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[o + j]! - mx);
      out[o + j] = e;
      s += e;
    }
    const inv = 1 / s;
    for (let j = 0; j < cols; j++) out[o + j]! *= inv;
  }
  return out;
}

export function softmaxBackward(y: TypedArray, dy: TypedArray, rows: number, cols: number, dtype: DType): TypedArray {
  const out = allocArray(dtype, rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += dy[o + j]! * y[o + j]!;
    for (let j = 0; j < cols; j++) out[o + j] = y[o + j]! * (dy[o + j]! - dot);
  }
  return out;
}
