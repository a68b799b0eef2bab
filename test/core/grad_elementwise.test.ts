// Elementwise ops: property-based gradchecks (broadcast pairs, size-1 dims, values away from kinks)
// and hand-checked forward values for the activations.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  abs, add, clamp, cos, div, exp, gelu, gradcheck, log, masked_fill, maximum, minimum, mul, neg, pow, quick_gelu, reciprocal, relu, rsqrt, sigmoid, silu, sin, sqrt, square, sub, tanh, tensor,
  where,
  type Tensor,
} from '../../core/index.js';
import { anySpecArb, broadcastPairArb, constant, leaf, shapeArb, smooth, specArb, valueAway, type Spec } from '../helpers/arbitraries.js';
import { propGrad } from '../helpers/grad.js';

const pairArb = (value: () => fc.Arbitrary<number> = smooth, other: () => fc.Arbitrary<number> = value) =>
  broadcastPairArb({ maxRank: 3, maxNumel: 36 }).chain(([sa, sb]) => fc.tuple(specArb(sa, value()), specArb(sb, other())));

/** Both operands differentiated, or one of them a constant (then only the other's grad is checked). */
const which = fc.constantFrom('both', 'a', 'b');
function binaryCheck(f: (a: Tensor, b: Tensor) => Tensor, [a, b]: [Spec, Spec], w: string): void {
  const ta = w === 'b' ? constant(a) : leaf(a);
  const tb = w === 'a' ? constant(b) : leaf(b);
  gradcheck(f, [ta, tb]);
}

describe('binary ops (broadcasting)', () => {
  propGrad('add', fc.tuple(pairArb(), which), ([p, w]) => binaryCheck(add, p, w));
  propGrad('sub', fc.tuple(pairArb(), which), ([p, w]) => binaryCheck(sub, p, w));
  propGrad('mul', fc.tuple(pairArb(), which), ([p, w]) => binaryCheck(mul, p, w));
  propGrad('div', fc.tuple(pairArb(smooth, () => valueAway(-2, 2, [0], 0.4)), which), ([p, w]) => binaryCheck(div, p, w));
  propGrad('maximum', fc.tuple(pairArb(), which).filter(([[a, b]]) => noNearTies(a, b)), ([p, w]) => binaryCheck(maximum, p, w));
  propGrad('minimum', fc.tuple(pairArb(), which).filter(([[a, b]]) => noNearTies(a, b)), ([p, w]) => binaryCheck(minimum, p, w));

  propGrad('add (scalar operand)', fc.tuple(anySpecArb(), fc.double({ min: -3, max: 3, noNaN: true })), ([s, c]) => {
    gradcheck((x) => add(mul(x, c), c), [leaf(s)]);
    gradcheck((x) => sub(c, div(c, add(mul(x, x), 1))), [leaf(s)]);
  });

  it('maximum/minimum split the gradient in half at ties (torch.maximum)', () => {
    const a = tensor([1, 2, 3], { dtype: 'float64', requires_grad: true });
    const b = tensor([1, 5, 0], { dtype: 'float64', requires_grad: true });
    maximum(a, b).sum().backward();
    expect(a.grad!.tolist()).toEqual([0.5, 0, 1]);
    expect(b.grad!.tolist()).toEqual([0.5, 1, 0]);
  });
});

/** No element pair (under broadcasting, conservatively all pairs) closer than 0.05. */
function noNearTies(a: Spec, b: Spec): boolean {
  return a.data.every((x) => b.data.every((y) => Math.abs(x - y) > 0.05));
}

describe('unary ops', () => {
  const unary = (value: fc.Arbitrary<number> = smooth()) => shapeArb({ maxRank: 3, maxNumel: 40 }).chain((s) => specArb(s, value));
  propGrad('neg', unary(), (s) => gradcheck(neg, [leaf(s)]));
  propGrad('exp', unary(), (s) => gradcheck(exp, [leaf(s)]));
  propGrad('log', unary(valueAway(0.2, 4)), (s) => gradcheck(log, [leaf(s)]));
  propGrad('sqrt', unary(valueAway(0.2, 4)), (s) => gradcheck(sqrt, [leaf(s)]));
  propGrad('abs', unary(valueAway(-2, 2, [0])), (s) => gradcheck(abs, [leaf(s)]));
  propGrad('relu', unary(valueAway(-2, 2, [0])), (s) => gradcheck(relu, [leaf(s)]));
  propGrad('sigmoid', unary(valueAway(-4, 4)), (s) => gradcheck(sigmoid, [leaf(s)]));
  propGrad('tanh', unary(valueAway(-3, 3)), (s) => gradcheck(tanh, [leaf(s)]));
  propGrad('silu', unary(valueAway(-4, 4)), (s) => gradcheck(silu, [leaf(s)]));
  propGrad('gelu', unary(valueAway(-4, 4)), (s) => gradcheck((x) => gelu(x), [leaf(s)]));
  propGrad('gelu_tanh', unary(valueAway(-4, 4)), (s) => gradcheck((x) => gelu(x, 'tanh'), [leaf(s)]));
  propGrad('quick_gelu', unary(valueAway(-4, 4)), (s) => gradcheck(quick_gelu, [leaf(s)]));
  // beyond issue 2's list, the other unary ops the core exports
  propGrad('sin/cos/square', unary(valueAway(-3, 3)), (s) => {
    gradcheck(sin, [leaf(s)]);
    gradcheck(cos, [leaf(s)]);
    gradcheck(square, [leaf(s)]);
  });
  propGrad('reciprocal/rsqrt', unary(valueAway(0.3, 3)), (s) => {
    gradcheck(reciprocal, [leaf(s)]);
    gradcheck(rsqrt, [leaf(s)]);
    gradcheck((x) => reciprocal(neg(x)), [leaf(s)]);
  });

  // integer exponents on any base away from 0; fractional ones on positive bases
  const intPow = fc.tuple(unary(valueAway(-2, 2, [0], 0.2)), fc.constantFrom(0, 1, 2, 3, -1, -2));
  const fracPow = fc.tuple(unary(valueAway(0.2, 3)), fc.constantFrom(0.5, -0.5, 1.5, 2.5, -1.3));
  propGrad('pow', fc.oneof(intPow, fracPow), ([s, p]) => gradcheck((x) => pow(x, p), [leaf(s)]));

  const LO = -0.7;
  const HI = 0.9;
  const bounds = fc.constantFrom<[number | undefined, number | undefined]>([LO, HI], [LO, undefined], [undefined, HI]);
  propGrad('clamp', fc.tuple(unary(valueAway(-2, 2, [LO, HI])), bounds), ([s, [lo, hi]]) => gradcheck((x) => clamp(x, lo, hi), [leaf(s)]));

  it('clamp passes the gradient at the bounds themselves (PyTorch: min <= x <= max)', () => {
    const x = tensor([-1, 0, 1, 2], { dtype: 'float64', requires_grad: true });
    clamp(x, 0, 1).sum().backward();
    expect(x.grad!.tolist()).toEqual([0, 1, 1, 0]);
  });

  it('abs and relu have subgradient 0 at 0, as PyTorch', () => {
    const x = tensor([0, 0], { dtype: 'float64', requires_grad: true });
    add(abs(x), relu(x)).sum().backward();
    expect(x.grad!.tolist()).toEqual([0, 0]);
  });

  it('pow(x, 0) has gradient 0 everywhere, also at x = 0 (torch: no 0 * inf)', () => {
    const x = tensor([0, 2, -3], { dtype: 'float64', requires_grad: true });
    pow(x, 0).sum().backward();
    expect(x.grad!.tolist()).toEqual([0, 0, 0]);
    expect(pow(x, 0).tolist()).toEqual([1, 1, 1]);
  });
});

describe('activation values', () => {
  const v = (f: (x: Tensor) => Tensor, xs: number[]): number[] => f(tensor(xs, { dtype: 'float64' })).tolist() as number[];
  it('gelu (exact, erf) matches Phi', () => {
    const got = v((x) => gelu(x), [1, -1, 2, 3, -3, 0.5, 0]);
    const want = [0.8413447460685429, -0.15865525393145707, 1.9544997361036416, 2.99595030590511, -0.00404969409489031, 0.34573123063700656, 0];
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 14));
  });
  it('gelu tanh approximation', () => {
    expect(v((x) => gelu(x, 'tanh'), [1])[0]).toBeCloseTo(0.8411919906082768, 14);
  });
  it('quick_gelu = x * sigmoid(1.702 x)', () => {
    const got = v(quick_gelu, [1, -1, 0]);
    expect(got[0]).toBeCloseTo(0.8457957659328212, 14);
    expect(got[1]).toBeCloseTo(-0.1542042340671787, 14);
    expect(got[2]).toBe(0);
  });
  it('sigmoid and silu stay finite for huge inputs', () => {
    expect(v(sigmoid, [-800, 800])).toEqual([0, 1]);
    const s = v(silu, [-800, 800]);
    expect(s[0]).toBeCloseTo(0, 300);
    expect(s[1]).toBe(800);
  });
});

describe('where / masked_fill', () => {
  const cond = (shape: number[]) => fc.array(fc.boolean(), { minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) }).map((bs) => ({ shape, data: bs.map((b) => (b ? 1 : 0)) }));
  const triple = broadcastPairArb({ maxRank: 3, maxNumel: 36 }).chain(([sa, sb]) => {
    const out = sa.length >= sb.length ? sa : sb;
    return fc.tuple(specArb(sa), specArb(sb), fc.constantFrom(sa, sb, out.map(() => 1), []).chain(cond));
  });
  // the condition is shaped like either operand, all ones, or 0-d: each broadcasts with both
  propGrad('where', triple, ([a, b, c]) => gradcheck((x, y) => where(constant(c), x, y), [leaf(a), leaf(b)]));
  propGrad('masked_fill', anySpecArb({ maxNumel: 36 }).chain((s) => fc.tuple(fc.constant(s), cond(s.shape), fc.double({ min: -5, max: 5, noNaN: true }))), ([s, m, value]) => {
    gradcheck((x) => masked_fill(x, constant(m), value), [leaf(s)]);
  });

  it('masked_fill fills where the mask is set and blocks the gradient there', () => {
    const x = tensor([1, 2, 3, 4], { dtype: 'float64', requires_grad: true });
    const m = tensor([0, 1, 0, 1], { dtype: 'float64' });
    const y = masked_fill(x, m, -9);
    expect(y.tolist()).toEqual([1, -9, 3, -9]);
    y.sum().backward();
    expect(x.grad!.tolist()).toEqual([1, 0, 1, 0]);
  });

  it('where broadcasts the condition and both branches', () => {
    const c = tensor([[1], [0]], { dtype: 'float64' });
    const a = tensor([1, 2, 3], { dtype: 'float64', requires_grad: true });
    const y = where(c, a, 0);
    expect(y.tolist()).toEqual([[1, 2, 3], [0, 0, 0]]);
    y.sum().backward();
    expect(a.grad!.tolist()).toEqual([1, 1, 1]);
  });
});
