// Row softmax and its backward on the SIMD module, rows shared with the worker. Rows of a multiple of 4 columns whose arrays live
// in the engine's memory are read and written in place; others are copied into scratch padded to
// a multiple of 4 columns (x with -Infinity, which exp sends to ~0; dy with 0), run, copied back.
import { getEngine } from './gemm.js';
import { KIND } from './worker_source.js';
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

/**
 * Where rows need no padding, an operand whose array lives in the engine's memory is read there and
 * the output written straight into its own array when it does too; the rest goes through scratch.
 */
function placed(e: ReturnType<typeof getEngine>, srcs: readonly Float32Array[], n: number, pad: readonly number[], rows: number, cols: number, cols4: number): { at: number[]; out: Float32Array; outAt: number } {
  const out = takeFull(rows * cols);
  const direct = cols === cols4;
  const ins = srcs.map((a) => (direct ? e.addressOf(a) : null));
  const outDirect = direct ? e.addressOf(out) : null;
  const scratchFloats = ins.filter((a) => a === null).length * n + (outDirect === null ? n : 0);
  let next = e.scratch(Math.max(4, scratchFloats * 4));
  const heap = e.heap();
  const at = srcs.map((a, i) => {
    const have = ins[i];
    if (have !== null && have !== undefined) return have;
    const here = next;
    padRows(a, rows, cols, cols4, heap, here >>> 2, pad[i]!);
    next += n * 4;
    return here;
  });
  return { at, out, outAt: outDirect ?? next };
}

/** Copies a scratch result into `out` unless the kernel wrote there already. */
function finish(e: ReturnType<typeof getEngine>, p: { out: Float32Array; outAt: number }, rows: number, cols: number, cols4: number): Float32Array {
  if (e.addressOf(p.out) === p.outAt) return p.out;
  const heap = e.heap();
  const base = p.outAt >>> 2;
  if (cols === cols4) p.out.set(heap.subarray(base, base + rows * cols));
  else for (let r = 0; r < rows; r++) p.out.set(heap.subarray(base + r * cols4, base + r * cols4 + cols), r * cols);
  return p.out;
}

export function simdSoftmax(x: Float32Array, rows: number, cols: number): Float32Array {
  if (rows === 0 || cols === 0) return new Float32Array(rows * cols);
  const e = getEngine();
  const cols4 = (cols + 3) & ~3;
  const p = placed(e, [x], rows * cols4, [-Infinity], rows, cols, cols4);
  const fn = e.exports['softmax'] as SoftmaxFn;
  const [xa, ya, row] = [p.at[0]!, p.outAt, cols4 * 4];
  e.runRows(KIND.softmax, [xa, ya, cols4], rows, 2 * rows * cols4, (q0, q1) => fn(xa + q0 * row, ya + q0 * row, q1 - q0, cols4));
  return finish(e, p, rows, cols, cols4);
}

export function simdSoftmaxBackward(y: Float32Array, dy: Float32Array, rows: number, cols: number): Float32Array {
  if (rows === 0 || cols === 0) return new Float32Array(rows * cols);
  const e = getEngine();
  const cols4 = (cols + 3) & ~3;
  const p = placed(e, [y, dy], rows * cols4, [0, 0], rows, cols, cols4);
  const fn = e.exports['softmax_bwd'] as SoftmaxBwdFn;
  const [ya, ga, xa, row] = [p.at[0]!, p.at[1]!, p.outAt, cols4 * 4];
  e.runRows(KIND.softmaxBackward, [ya, ga, xa, cols4], rows, 3 * rows * cols4, (q0, q1) => fn(ya + q0 * row, ga + q0 * row, xa + q0 * row, q1 - q0, cols4));
  return finish(e, p, rows, cols, cols4);
}
