// Reductions: sum and mean over generated dim sets with keepdim (sum also over empty tensors),
// amax/amin and max/min(dim) on tie-free values, and the tie rules checked by hand.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amax, amin, gradcheck, max, mean, min, sum, tensor, zeros, type Tensor } from '../../core/index.js';
import { dimArb, dimsArb, distinctSpecArb, leaf, shapeArb, specArb } from '../helpers/arbitraries.js';
import { propGrad } from '../helpers/grad.js';

/** A spec, a dim set (or undefined = all dims) and keepdim. */
const reduceCase = (o: { minDim?: number; distinct?: boolean } = {}) =>
  shapeArb({ minRank: 1, maxRank: 4, maxNumel: 36, minDim: o.minDim ?? 1 }).chain((s) =>
    fc.record({
      x: o.distinct ? distinctSpecArb(s) : specArb(s),
      dims: fc.option(dimsArb(s.length), { nil: undefined }),
      keepdim: fc.boolean(),
    }),
  );

describe('sum / mean', () => {
  propGrad('sum', reduceCase(), ({ x, dims, keepdim }) => gradcheck((t) => sum(t, dims, keepdim), [leaf(x)]));
  propGrad('mean', reduceCase(), ({ x, dims, keepdim }) => gradcheck((t) => mean(t, dims, keepdim), [leaf(x)]));
  propGrad('sum (0-d input)', fc.double({ min: -2, max: 2, noNaN: true }), (v) => gradcheck((t) => sum(t), [leaf({ shape: [], data: [v] })]));

  propGrad('sum (empty tensors)', reduceCase({ minDim: 0 }).filter(({ x }) => x.shape.includes(0)), ({ x, dims, keepdim }) => {
    const t = leaf(x);
    const y = sum(t, dims, keepdim);
    // an empty reduction is 0; an output with an empty kept dim has no elements at all
    expect(Array.from(y.data).every((v) => v === 0)).toBe(true);
    if (y.size > 0) {
      y.backward(tensor(new Float64Array(y.size).fill(1), { dtype: 'float64', shape: y.shape }));
      expect(t.grad!.shape).toEqual(x.shape);
    }
    gradcheck((a) => sum(a, dims, keepdim), [t]);
  });

  it('sum of an empty tensor is 0 (keepdim keeps ones), mean of one is NaN as in PyTorch', () => {
    const e = zeros([0, 3], { dtype: 'float64' });
    expect(sum(e).tolist()).toBe(0);
    expect(sum(e, 0).tolist()).toEqual([0, 0, 0]);
    expect(sum(e, 0, true).shape).toEqual([1, 3]);
    expect(sum(e, 1).shape).toEqual([0]);
    expect(Number.isNaN(mean(e).item())).toBe(true);
  });

  it('keepdim keeps reduced dims as size 1; negative dims count from the end', () => {
    const x = tensor([[[1, 2], [3, 4], [5, 6]]], { dtype: 'float64' });
    expect(sum(x, [-1, 0], true).shape).toEqual([1, 3, 1]);
    expect(sum(x, [-1, 0]).tolist()).toEqual([3, 7, 11]);
    expect(mean(x, 1).tolist()).toEqual([[3, 4]]);
  });
});

describe('amax / amin / max(dim) / min(dim)', () => {
  propGrad('amax', reduceCase({ distinct: true }), ({ x, dims, keepdim }) => gradcheck((t) => amax(t, dims, keepdim), [leaf(x)]));
  propGrad('amin', reduceCase({ distinct: true }), ({ x, dims, keepdim }) => gradcheck((t) => amin(t, dims, keepdim), [leaf(x)]));

  const dimCase = shapeArb({ minRank: 1, maxRank: 4, maxNumel: 36 }).chain((s) => fc.record({ x: distinctSpecArb(s), dim: dimArb(s.length), keepdim: fc.boolean() }));
  propGrad('max', dimCase, ({ x, dim, keepdim }) => {
    gradcheck((t) => max(t, dim, keepdim).values, [leaf(x)]);
    // values agree with amax, indices point at them
    const t = leaf(x, false);
    const r = max(t, dim, keepdim);
    expect(r.values.tolist()).toEqual(amax(t, dim, keepdim).tolist());
    expect(r.indices.shape).toEqual(r.values.shape);
  });
  propGrad('min', dimCase, ({ x, dim, keepdim }) => gradcheck((t) => min(t, dim, keepdim).values, [leaf(x)]));

  const ties = (): Tensor => tensor([[1, 3, 3], [2, 2, 2], [5, 0, 5]], { dtype: 'float64', requires_grad: true });

  it('amax splits the gradient evenly among ties (torch.amax)', () => {
    const x = ties();
    amax(x, 1).backward(tensor([1, 3, 2], { dtype: 'float64' }));
    expect(x.grad!.tolist()).toEqual([[0, 0.5, 0.5], [1, 1, 1], [1, 0, 1]]);
    const y = ties();
    amax(y).backward(); // one max (5) shared by two entries
    expect(y.grad!.tolist()).toEqual([[0, 0, 0], [0, 0, 0], [0.5, 0, 0.5]]);
  });

  it('amin splits ties likewise', () => {
    const x = ties();
    amin(x, 1, true).sum().backward();
    expect(x.grad!.tolist()).toEqual([[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0, 1, 0]]);
  });

  it('max(dim) returns {values, indices} and gives the whole gradient to the returned (first) index', () => {
    const x = ties();
    const r = max(x, 1);
    expect(r.values.tolist()).toEqual([3, 2, 5]);
    expect(r.indices.tolist()).toEqual([1, 0, 0]);
    r.values.backward(tensor([1, 3, 2], { dtype: 'float64' }));
    expect(x.grad!.tolist()).toEqual([[0, 1, 0], [3, 0, 0], [2, 0, 0]]);
    const k = max(ties(), -1, true);
    expect(k.values.shape).toEqual([3, 1]);
    expect(k.indices.shape).toEqual([3, 1]);
  });

  it('min(dim) likewise', () => {
    const x = ties();
    const r = min(x, 0);
    expect(r.values.tolist()).toEqual([1, 0, 2]);
    expect(r.indices.tolist()).toEqual([0, 2, 1]);
    r.values.sum().backward();
    expect(x.grad!.tolist()).toEqual([[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
  });

  it('amax of an empty tensor is an error naming the op', () => {
    expect(() => amax(zeros([0, 2]))).toThrow(/amax\(\): cannot reduce an empty tensor/);
  });
});
