// Autograd semantics: accumulation (a tensor used twice, backward called twice), no-grad mode,
// retain_grad, requires_grad_, detach, and the errors that name what went wrong.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  add, backward, enable_grad, exp, isGradEnabled, matmul, mul, no_grad, ones, reshape, setGradEnabled, sub, sum, tensor, zeros, type Tensor,
} from '../../core/index.js';
import { anySpecArb, leaf } from '../helpers/arbitraries.js';

const f64 = (v: number[], requires_grad = true): Tensor => tensor(v, { dtype: 'float64', requires_grad });

describe('gradient accumulation', () => {
  it('a tensor used twice gets the sum of both paths', () => {
    fc.assert(
      fc.property(anySpecArb({ maxNumel: 24 }), (s) => {
        const x = leaf(s);
        // y = x*x + exp(x) - x: dy/dx = 2x + exp(x) - 1
        sum(sub(add(mul(x, x), exp(x)), x)).backward();
        const want = s.data.map((v) => 2 * v + Math.exp(v) - 1);
        Array.from(x.grad!.data).forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 12));
      }),
      { numRuns: 20 },
    );
  });

  it('the same tensor as both operands of one op (x * x, x + x)', () => {
    const x = f64([1, -2, 3]);
    add(mul(x, x), add(x, x)).sum().backward();
    expect(x.grad!.tolist()).toEqual([4, -2, 8]);
  });

  it('a diamond graph: two branches from one intermediate', () => {
    const x = f64([2]);
    const h = mul(x, 3);
    const y = add(mul(h, h), h); // 9x^2 + 3x
    y.backward();
    expect(x.grad!.item()).toBe(39);
  });

  it('backward called twice accumulates into .grad', () => {
    const x = f64([1, 2]);
    const w = f64([3, 4]);
    const y = sum(mul(x, w));
    y.backward();
    expect(x.grad!.tolist()).toEqual([3, 4]);
    y.backward();
    expect(x.grad!.tolist()).toEqual([6, 8]);
    sum(mul(x, 10)).backward();
    expect(x.grad!.tolist()).toEqual([16, 18]);
    expect(w.grad!.tolist()).toEqual([2, 4]);
  });

  it('each .grad has its own storage (x + y hands both the same gradient)', () => {
    const x = f64([1, 2]);
    const y = f64([3, 4]);
    const seed = f64([1, 1], false);
    add(x, y).backward(seed);
    expect(x.grad).not.toBe(y.grad);
    expect(x.grad!.data).not.toBe(y.grad!.data);
    expect(x.grad!.data).not.toBe(seed.data);
    x.grad!.data[0] = 100; // an in-place update of one grad
    expect(y.grad!.tolist()).toEqual([1, 1]);
    expect(seed.tolist()).toEqual([1, 1]);
  });

  it('inputs that do not require grad get none; detach cuts the graph', () => {
    const x = f64([1, 2]);
    const c = f64([5, 6], false);
    sum(add(mul(x, c), mul(x.detach(), 100))).backward();
    expect(x.grad!.tolist()).toEqual([5, 6]);
    expect(c.grad).toBeNull();
    expect(x.detach().requires_grad).toBe(false);
    expect(x.detach().grad_fn).toBeNull();
  });

  it('gradients flow through float32 graphs too', () => {
    const x = tensor([[1, 2], [3, 4]], { dtype: 'float32', requires_grad: true });
    const w = tensor([[0.5], [-1]], { dtype: 'float32', requires_grad: true });
    sum(matmul(x, w)).backward();
    expect(x.grad!.dtype).toBe('float32');
    expect(x.grad!.tolist()).toEqual([[0.5, -1], [0.5, -1]]);
    expect(w.grad!.tolist()).toEqual([[4], [6]]);
  });
});

describe('no-grad mode', () => {
  it('no graph is built under no_grad', () => {
    const x = f64([1, 2]);
    const y = no_grad(() => sum(mul(exp(x), x)));
    expect(y.requires_grad).toBe(false);
    expect(y.grad_fn).toBeNull();
    expect(y.is_leaf).toBe(true);
    expect(() => y.backward()).toThrow(/does not require grad/);
    // and grad mode is back afterwards
    expect(isGradEnabled()).toBe(true);
    expect(sum(mul(x, x)).grad_fn?.name).toBe('SumBackward');
  });

  it('no_grad restores the mode when its body throws; enable_grad nests inside it', () => {
    expect(() =>
      no_grad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
    const x = f64([3]);
    const y = no_grad(() => enable_grad(() => mul(x, x)));
    expect(y.requires_grad).toBe(true);
    expect(y.grad_fn?.name).toBe('MulBackward');
    setGradEnabled(false);
    try {
      expect(mul(x, x).grad_fn).toBeNull();
    } finally {
      setGradEnabled(true);
    }
  });

  it('backward itself builds no graph (gradients have no grad_fn)', () => {
    const x = f64([1, 2]);
    sum(mul(mul(x, x), x)).backward();
    expect(x.grad!.grad_fn).toBeNull();
    expect(x.grad!.requires_grad).toBe(false);
  });
});

describe('retain_grad / requires_grad_ / leaves', () => {
  it('a non-leaf keeps its grad only with retain_grad', () => {
    const x = f64([1, 2]);
    const h = mul(x, 3);
    const k = mul(x, 4).retain_grad();
    sum(mul(add(h, k), 2)).backward();
    expect(h.is_leaf).toBe(false);
    expect(h.grad).toBeNull();
    expect(k.grad!.tolist()).toEqual([2, 2]);
    expect(x.grad!.tolist()).toEqual([14, 14]);
  });

  it('requires_grad_ turns a leaf on (and off); off on a non-leaf is an error', () => {
    const x = tensor([1, 2], { dtype: 'float64' });
    expect(x.requires_grad).toBe(false);
    expect(x.requires_grad_()).toBe(x);
    sum(mul(x, x)).backward();
    expect(x.grad!.tolist()).toEqual([2, 4]);
    x.requires_grad_(false);
    expect(mul(x, x).requires_grad).toBe(false);
    const y = mul(f64([1]), 2);
    expect(() => y.requires_grad_(false)).toThrow(/only valid on leaf tensors/);
  });

  it('backward errors name the problem', () => {
    const x = f64([1, 2]);
    expect(() => mul(x, 2).backward()).toThrow(/needs a scalar output, got shape \[2\]/);
    expect(() => mul(x, 2).backward(ones([3], { dtype: 'float64' }))).toThrow(/gradient shape \[3\] differs from output shape \[2\]/);
    expect(() => mul(x, 2).backward(ones([2], { dtype: 'float32' }))).toThrow(/gradient dtype float32 differs from output dtype float64/);
    expect(() => backward(zeros([1]))).toThrow(/does not require grad/);
  });

  it('reshape is a view in the graph: the leaf gets its gradient in its own shape', () => {
    const x = f64([1, 2, 3, 4, 5, 6]);
    sum(mul(reshape(x, [2, 3]), tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' }))).backward();
    expect(x.grad!.shape).toEqual([6]);
    expect(x.grad!.tolist()).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('errors name the culprit', () => {
  it('dims out of range, shapes that do not broadcast, bad sizes', () => {
    const x = zeros([2, 3]);
    expect(() => sum(x, 2)).toThrow(/dim 2 is out of range for a tensor of rank 2 \(expected in \[-2, 1\]\)/);
    expect(() => sum(x, [0, -2])).toThrow(/dims \[0,-2\] repeat an axis/);
    expect(() => add(x, zeros([4]))).toThrow(/shapes \[2, 3\] and \[4\] cannot be broadcast \(dim 1: 3 vs 4\)/);
    expect(() => zeros([2, -1])).toThrow(/shape \[2, -1\] has an invalid size -1/);
    expect(() => x.dim(5)).toThrow(/dim 5 out of range for shape \[2, 3\]/);
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged nested array/);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(/3 values do not fill shape \[2, 2\]/);
    expect(() => zeros([2]).item()).toThrow(/item\(\) needs a one-element tensor, got shape \[2\]/);
  });
});

