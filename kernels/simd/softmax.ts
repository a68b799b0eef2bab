// Row softmax and its backward on the SIMD module: rows are copied into the wasm heap padded to a
// multiple of 4 columns (x with -Infinity, which exp sends to ~0; dy with 0), run, copied back.
import { getEngine } from './gemm.js';
import { takeFull } from '../pool.js';

type SoftmaxFn = (x: number, y: number, rows: number, cols4: number) => void;
type SoftmaxBwdFn = (y: number, dy: number, dx: number, rows: number, cols4: number) => void;

function padRows(src: Float32Array, rows: number, cols: number, cols4: number, heap: Float32Array, base: number, pad: number): void {
  if (cols === cols4) {
    heap.set(src.subarray(0, rows * cols), base);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const d = base + r * cols4;
    heap.set(src.subarray(r * cols, (r + 1) * cols), d);
    heap.fill(pad, d + cols, d + cols4);
  }
}

function unpadRows(heap: Float32Array, base: number, rows: number, cols: number, cols4: number): Float32Array {
  const out = takeFull(rows * cols);
  if (cols === cols4) {
    out.set(heap.subarray(base, base + rows * cols));
    return out;
  }
  for (let r = 0; r < rows; r++) out.set(heap.subarray(base + r * cols4, base + r * cols4 + cols), r * cols);
  return out;
}

export function simdSoftmax(x: Float32Array, rows: number, cols: number): Float32Array {
  if (rows === 0 || cols === 0) return new Float32Array(rows * cols);
  const e = getEngine();
  const cols4 = (cols + 3) & ~3;
  const n = rows * cols4;
  const heap = e.heap(8 * n);
  padRows(x, rows, cols, cols4, heap, 0, -Infinity);
  (e.exports['softmax'] as SoftmaxFn)(0, 4 * n, rows, cols4);
  return unpadRows(e.heap(0), n, rows, cols, cols4);
}

export function simdSoftmaxBackward(y: Float32Array, dy: Float32Array, rows: number, cols: number): Float32Array {
  if (rows === 0 || cols === 0) return new Float32Array(rows * cols);
  const e = getEngine();
  const cols4 = (cols + 3) & ~3;
  const n = rows * cols4;
  const heap = e.heap(12 * n);
  padRows(y, rows, cols, cols4, heap, 0, 0);
  padRows(dy, rows, cols, cols4, heap, n, 0);
  (e.exports['softmax_bwd'] as SoftmaxBwdFn)(0, 4 * n, 8 * n, rows, cols4);
  return unpadRows(e.heap(0), 2 * n, rows, cols, cols4);
}
