// Float32, the training dtype: every op runs in float32 on the active backend (BAS_BACKEND picks it)
// and is compared, forward and backward, with the same op in float64 (always the cpu backend). The
// shapes are odd-sized and larger than the gradcheck ones so that blocked or vectorised kernels
// meet their edge cases.
import { describe, expect, it } from 'vitest';
import {
  abs, add, amax, bmm, cat, clamp, conv2d, div, exp, expand, flip, gather, gelu, Generator, getBackend, group_norm, index_select, interpolate, layer_norm, linear, log,
  log_softmax, masked_fill, matmul, max, maximum, mean, mse_loss, mul, neg, permute, pow, quick_gelu, relu, sigmoid, silu, slice, softmax, sqrt, sub, sum, tanh,
  tensor, embedding, where, type Tensor,
} from '../../core/index.js';

interface Case {
  name: string;
  shapes: number[][];
  /** Maps raw normal draws of input i to its domain (e.g. positive for log). */
  domain?: (v: number, input: number) => number;
  fn: (...xs: Tensor[]) => Tensor;
  tol?: number;
}

const pos = (v: number): number => Math.abs(v) + 0.5;
const mask = (shape: number[], seed: number, dtype: 'float32' | 'float64'): Tensor => {
  const g = new Generator(seed);
  return tensor(Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (g.random() < 0.4 ? 1 : 0)), { dtype, shape });
};

const CASES: Case[] = [
  { name: 'neg', shapes: [[37, 5]], fn: neg },
  { name: 'exp', shapes: [[37, 5]], fn: exp },
  { name: 'log', shapes: [[37, 5]], domain: pos, fn: log },
  { name: 'sqrt', shapes: [[37, 5]], domain: pos, fn: sqrt },
  { name: 'abs', shapes: [[37, 5]], fn: abs },
  { name: 'relu', shapes: [[37, 5]], fn: relu },
  { name: 'sigmoid', shapes: [[37, 5]], fn: sigmoid },
  { name: 'tanh', shapes: [[37, 5]], fn: tanh },
  { name: 'silu', shapes: [[37, 5]], fn: silu },
  { name: 'gelu', shapes: [[37, 5]], fn: (x) => gelu(x) },
  { name: 'gelu_tanh', shapes: [[37, 5]], fn: (x) => gelu(x, 'tanh') },
  { name: 'quick_gelu', shapes: [[37, 5]], fn: quick_gelu },
  { name: 'pow 2', shapes: [[37, 5]], fn: (x) => pow(x, 2) },
  { name: 'pow 0.5', shapes: [[37, 5]], domain: pos, fn: (x) => pow(x, 0.5) },
  { name: 'clamp', shapes: [[37, 5]], fn: (x) => clamp(x, -0.5, 0.7) },
  { name: 'add (broadcast)', shapes: [[3, 1, 7], [5, 1]], fn: add },
  { name: 'sub (broadcast)', shapes: [[6, 7], [7]], fn: sub },
  { name: 'mul (broadcast)', shapes: [[2, 3, 1, 5], [3, 4, 1]], fn: mul },
  { name: 'div (broadcast)', shapes: [[4, 9], [4, 1]], domain: (v, i) => (i === 1 ? pos(v) : v), fn: div },
  { name: 'maximum', shapes: [[4, 9], [9]], fn: maximum },
  { name: 'where', shapes: [[5, 6], [6]], fn: (a, b) => where(mask([5, 6], 1, a!.dtype), a!, b!) },
  { name: 'masked_fill', shapes: [[5, 6]], fn: (a) => masked_fill(a!, mask([5, 6], 2, a!.dtype), -3) },
  { name: 'sum (dims 0, 2)', shapes: [[5, 7, 9]], fn: (x) => sum(x, [0, 2]) },
  { name: 'sum (all, 1000 elements)', shapes: [[10, 100]], fn: (x) => sum(x) },
  { name: 'mean (keepdim -1)', shapes: [[5, 7, 9]], fn: (x) => mean(x, -1, true) },
  { name: 'amax (dim 1)', shapes: [[6, 11, 3]], fn: (x) => amax(x, 1) },
  { name: 'max (dim -1) values', shapes: [[6, 11]], fn: (x) => max(x, -1).values },
  { name: 'permute', shapes: [[3, 4, 5, 2]], fn: (x) => permute(x, [2, 0, 3, 1]) },
  { name: 'expand', shapes: [[3, 1, 5]], fn: (x) => expand(x, [2, 3, 4, 5]) },
  { name: 'slice (step 2)', shapes: [[9, 8]], fn: (x) => slice(x, 1, 1, undefined, 2) },
  { name: 'flip', shapes: [[4, 5, 6]], fn: (x) => flip(x, [0, 2]) },
  { name: 'index_select', shapes: [[6, 7]], fn: (x) => index_select(x, 1, [6, 0, 0, 3]) },
  { name: 'gather', shapes: [[4, 5]], fn: (x) => gather(x, 1, { shape: [4, 3], data: [0, 4, 4, 1, 1, 2, 3, 0, 2, 4, 3, 3] }) },
  { name: 'cat', shapes: [[2, 3, 4], [2, 5, 4]], fn: (a, b) => cat([a!, b!], 1) },
  { name: 'matmul 2-D (odd sizes)', shapes: [[33, 47], [47, 29]], fn: matmul },
  { name: 'matmul batched broadcast', shapes: [[3, 1, 9, 17], [4, 17, 6]], fn: matmul },
  { name: 'matmul 1-D', shapes: [[17], [5, 17, 3]], fn: matmul },
  { name: 'matmul 64x64x64', shapes: [[64, 64], [64, 64]], fn: matmul },
  { name: 'bmm', shapes: [[4, 13, 7], [4, 7, 11]], fn: bmm },
  { name: 'linear', shapes: [[2, 9, 20], [13, 20], [13]], fn: (x, w, b) => linear(x!, w!, b) },
  { name: 'softmax', shapes: [[7, 33]], fn: (x) => softmax(mul(x, 5), -1) },
  { name: 'softmax (dim 0)', shapes: [[7, 33]], fn: (x) => softmax(x, 0) },
  { name: 'log_softmax', shapes: [[7, 33]], fn: (x) => log_softmax(mul(x, 5), 1) },
  { name: 'conv2d 3x3 pad 1', shapes: [[2, 3, 9, 11], [5, 3, 3, 3], [5]], fn: (x, w, b) => conv2d(x!, w!, b, { padding: 1 }) },
  { name: 'conv2d stride 2', shapes: [[2, 4, 10, 9], [3, 4, 3, 3]], fn: (x, w) => conv2d(x!, w!, null, { stride: 2, padding: 1 }) },
  { name: 'conv2d 1x1', shapes: [[1, 6, 5, 5], [4, 6, 1, 1]], fn: (x, w) => conv2d(x!, w!) },
  { name: 'group_norm', shapes: [[2, 8, 5, 5], [8], [8]], fn: (x, w, b) => group_norm(x!, 4, w, b) },
  { name: 'layer_norm', shapes: [[3, 6, 16], [16], [16]], fn: (x, w, b) => layer_norm(x!, [16], w, b) },
  { name: 'interpolate 8 -> 16 and 16 -> 5', shapes: [[1, 2, 8, 16]], fn: (x) => interpolate(x, { size: [16, 5] }) },
  { name: 'embedding', shapes: [[10, 6]], fn: (w) => embedding([3, 3, 9, 0, 1], w!) },
  { name: 'mse_loss', shapes: [[5, 9], [5, 9]], fn: (a, b) => mse_loss(a!, b!) },
];

function draw(shape: number[], seed: number, domain: (v: number) => number): Float64Array {
  const g = new Generator(seed);
  return Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => domain(g.normal()));
}

/** Largest violation of |a - b| <= tol * (1 + |b|), as a readable string, or null. */
function compare(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): string | null {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  let worst: string | null = null;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const excess = Math.abs(a[i]! - b[i]!) - tol * (1 + Math.abs(b[i]!));
    if (!(excess <= worstExcess)) {
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
      worst = `element ${i}: float32 ${a[i]} vs float64 ${b[i]}`;
    }
  }
  return worst;
}

describe(`float32 on the "${getBackend().name}" backend agrees with float64`, () => {
  for (const c of CASES) {
    it(c.name, () => {
      const tol = c.tol ?? 2e-5;
      const raw = c.shapes.map((s, i) => draw(s, 100 + i, (v) => (c.domain ? c.domain(v, i) : v)));
      const make = (dtype: 'float32' | 'float64'): Tensor[] =>
        raw.map((d, i) => tensor(dtype === 'float32' ? Float32Array.from(d) : Float64Array.from(Float32Array.from(d)), { dtype, shape: c.shapes[i], requires_grad: true }));
      const x32 = make('float32');
      const x64 = make('float64');
      const y32 = c.fn(...x32);
      const y64 = c.fn(...x64);
      expect(y32.dtype).toBe('float32');
      expect(y32.shape).toEqual(y64.shape);
      expect(compare(y32.data, y64.data, tol)).toBeNull();
      // backward: a fixed random weighting of the output as the loss
      const w = draw([...y64.shape], 7, (v) => v);
      sum(mul(y32, tensor(Float32Array.from(w), { dtype: 'float32', shape: y32.shape }))).backward();
      sum(mul(y64, tensor(Float64Array.from(w), { dtype: 'float64', shape: y64.shape }))).backward();
      x32.forEach((t, i) => {
        expect(t.grad, `grad of input ${i}`).not.toBeNull();
        expect(t.grad!.dtype).toBe('float32');
        expect(compare(t.grad!.data, x64[i]!.grad!.data, tol * 5), `grad of input ${i}`).toBeNull();
      });
    });
  }
});
