// Proof that the check can fail: ops built with fromOp whose backward is deliberately wrong are
// caught by gradcheck, and the report points at the input and element that are wrong; the same ops
// with the right backward pass.
import { describe, expect, it } from 'vitest';
import { fromOp, gradcheck, GradcheckError, mul, no_grad, randn, Generator, tensor, type Tensor } from '../../core/index.js';

/** x * x with a backward of g * x * factor (right when factor = 2). */
function square(x: Tensor, factor: number): Tensor {
  const y = no_grad(() => mul(x, x));
  return fromOp(y.storage, x.shape, 'PlantedSquareBackward', [x], (g) => [mul(g, mul(x, factor))]);
}

/** x * y whose backward for y is off at flat element `bad` only: d out[bad] / d y[bad] gets +0.01. */
function productOffAt(x: Tensor, y: Tensor, bad: number): Tensor {
  const out = no_grad(() => mul(x, y));
  return fromOp(out.storage, x.shape, 'PlantedMulBackward', [x, y], (g) => {
    const gy = Float64Array.from(mul(g, x).data);
    gy[bad]! += 0.01 * g.data[bad]!;
    return [mul(g, y), tensor(gy, { dtype: 'float64', shape: y.shape })];
  });
}

const f64 = (v: number[]): Tensor => tensor(v, { dtype: 'float64', requires_grad: true });

describe('gradcheck catches a wrong backward', () => {
  it('a missing factor of 2 (d(x^2)/dx = x) fails with a GradcheckError naming the worst element', () => {
    const x = f64([0.5, -1.5, 2, 0.25]);
    let err: unknown;
    try {
      gradcheck((t) => square(t, 1), [x]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GradcheckError);
    const rep = (err as GradcheckError).report;
    expect(rep.ok).toBe(false);
    expect(rep.mode).toBe('full');
    // the largest error is where |x| is largest: x[2] = 2, analytic 2 vs numeric 4 (output 2)
    expect(rep.worst).toMatchObject({ input: 0, index: 2, output: 2 });
    expect(rep.worst!.analytic).toBeCloseTo(2, 10);
    expect(rep.worst!.numeric).toBeCloseTo(4, 5);
    expect((err as Error).message).toMatch(/gradcheck failed: MISMATCH .* worst at input 0, index 2, output 2: analytic 2\.0+ vs numeric 4\.0+/);
  });

  it('the same op with the right backward passes', () => {
    const rep = gradcheck((t) => square(t, 2), [f64([0.5, -1.5, 2, 0.25])]);
    expect(rep.ok).toBe(true);
    expect(rep.maxAbsError).toBeLessThan(1e-6);
    expect(rep.checked).toBe(16);
    expect(rep.toString()).toMatch(/^ok \(full, 16 entries/);
  });

  it('an error in one element of the second input is located exactly', () => {
    const x = f64([1, 2, 3, 4, 5, 6]);
    const y = f64([0.5, -1, 1.5, -2, 2.5, -3]);
    expect(() => gradcheck((a, b) => productOffAt(a!, b!, 4), [x, y])).toThrow(GradcheckError);
    const rep = gradcheck((a, b) => productOffAt(a!, b!, 4), [x, y], { raise_exception: false });
    expect(rep.ok).toBe(false);
    expect(rep.worst).toMatchObject({ input: 1, index: 4, output: 4 });
    expect(rep.worst!.analytic - rep.worst!.numeric).toBeCloseTo(0.01, 6);
    expect(rep.maxAbsError).toBeCloseTo(0.01, 6);
  });

  it('fast mode (v^T J for outputs > 64 elements) catches it too and still names the input element', () => {
    const x = randn([100], { dtype: 'float64', generator: new Generator(1) }).requires_grad_();
    const y = randn([100], { dtype: 'float64', generator: new Generator(2) }).requires_grad_();
    expect(() => gradcheck((t) => square(t, 1), [x])).toThrow(GradcheckError);
    const rep = gradcheck((a, b) => productOffAt(a!, b!, 37), [x, y], { raise_exception: false });
    expect(rep.mode).toBe('fast');
    expect(rep.ok).toBe(false);
    expect(rep.worst).toMatchObject({ input: 1, index: 37, output: -1 });
    expect(gradcheck((t) => square(t, 2), [x]).ok).toBe(true);
  });

  it('checks only the given entries when told (indices), and keeps each one when asked (keep_entries)', () => {
    const x = f64([1, 2, 3, 4, 5, 6]);
    const y = f64([0.5, -1, 1.5, -2, 2.5, -3]);
    const sum = (a: Tensor, b: Tensor): Tensor => productOffAt(a, b, 4).sum();
    // the wrong entry left out: passes, having perturbed 2 + 2 entries
    const skip = gradcheck((a, b) => sum(a!, b!), [x, y], { indices: [[0, 5], [1, 3]], keep_entries: true });
    expect(skip.ok).toBe(true);
    expect(skip.checked).toBe(4);
    expect(skip.entries.map((e) => [e.input, e.index])).toEqual([[0, 0], [0, 5], [1, 1], [1, 3]]);
    expect(skip.entries.every((e) => e.ok && e.absError < 1e-6)).toBe(true);
    // the wrong entry in: fails there, and only that kept entry is marked bad
    const hit = gradcheck((a, b) => sum(a!, b!), [x, y], { indices: [[], [2, 4]], keep_entries: true, raise_exception: false });
    expect(hit.ok).toBe(false);
    expect(hit.worst).toMatchObject({ input: 1, index: 4 });
    expect(hit.entries.map((e) => e.ok)).toEqual([true, false]);
    expect(hit.entries[1]!.analytic - hit.entries[1]!.numeric).toBeCloseTo(0.01, 6);
    // without keep_entries nothing is kept; an index outside the input is refused by name
    expect(gradcheck((a, b) => sum(a!, b!), [x, y], { indices: [[0], [0]] }).entries).toEqual([]);
    expect(() => gradcheck((a, b) => sum(a!, b!), [x, y], { indices: [[6]] })).toThrow(/index 6 of input 0 is outside its 6 entries/);
  });

  it('a backward that gives a gradient of the wrong shape is an error naming the op', () => {
    const x = f64([1, 2, 3]);
    const bad = (t: Tensor): Tensor => fromOp(no_grad(() => mul(t, 2)).storage, t.shape, 'WrongShapeBackward', [t], () => [tensor([1, 2], { dtype: 'float64' })]);
    expect(() => bad(x).sum().backward()).toThrow(/WrongShapeBackward backward gave a gradient of shape \[2\] for an input of shape \[3\]/);
  });

  it('refuses float32 inputs and non-leaf inputs', () => {
    expect(() => gradcheck((t) => mul(t, t), [tensor([1, 2], { dtype: 'float32', requires_grad: true })])).toThrow(/input 0 is float32/);
    const nonLeaf = mul(f64([1, 2]), 2);
    expect(() => gradcheck((t) => mul(t, t), [nonLeaf])).toThrow(/input 0 must be a leaf tensor/);
  });
});
