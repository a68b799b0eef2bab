// Movement ops: gradchecks over generated shapes, dims (negative too), steps and indices, plus the
// round trips (reshape/permute undo themselves) and torch.chunk's piece sizes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cat, chunk, expand, flatten, flip, gather, gradcheck, index_select, mul, narrow, numel, permute, repeat, reshape, slice, split, squeeze, stack, sum, tensor, transpose,
  unsqueeze, zeros,
} from '../../core/index.js';
import { broadcastableTo, dimArb, dimsArb, leaf, shapeArb, specArb } from '../helpers/arbitraries.js';
import { propGrad } from '../helpers/grad.js';

const specOf = (o: Parameters<typeof shapeArb>[0] = {}) => shapeArb({ maxNumel: 36, ...o }).chain((s) => specArb(s));

/** A weighting so a gradcheck of a movement op sees distinct weights per output position. */
const weighted = (y: ReturnType<typeof reshape>) => mul(y, tensor(Float64Array.from({ length: y.size }, (_, i) => 1 + i / 7), { dtype: 'float64', shape: y.shape }));

/** All factorisations of n into up to 3 factors, to pick a reshape target from. */
function reshapeTargets(n: number): number[][] {
  const out: number[][] = [[n]];
  for (let a = 1; a <= n; a++) {
    if (n % a) continue;
    out.push([a, n / a]);
    for (let b = 1; b <= n / a; b++) if ((n / a) % b === 0) out.push([a, b, n / a / b]);
  }
  return out;
}

describe('reshape family', () => {
  const reshapeCase = specOf({ maxRank: 4 }).chain((x) =>
    fc.tuple(fc.constant(x), fc.constantFrom(...reshapeTargets(numel(x.shape))), fc.nat()).map(([x, target, k]) => {
      // one dim may be -1 (inferred)
      const t = [...target];
      if (k % 2 === 0 && t.length > 0) t[k % t.length] = -1;
      return { x, target: t };
    }),
  );
  propGrad('reshape', reshapeCase, ({ x, target }) => {
    gradcheck((t) => weighted(reshape(t, target)), [leaf(x)]);
    // round trip
    const t = leaf(x, false);
    expect(reshape(reshape(t, target), x.shape).tolist()).toEqual(t.tolist());
  });
  propGrad('flatten/unsqueeze/squeeze', specOf({ minRank: 1, maxRank: 4 }).chain((x) => fc.tuple(fc.constant(x), dimArb(x.shape.length))), ([x, d]) => {
    gradcheck((t) => weighted(squeeze(unsqueeze(flatten(t, d), 0), 0)), [leaf(x)]);
    gradcheck((t) => weighted(squeeze(t)), [leaf(x)]);
  });

  it('flatten start/end, unsqueeze at -1, squeeze of a non-1 dim is a no-op', () => {
    const x = zeros([2, 3, 4, 5]);
    expect(flatten(x, 1, 2).shape).toEqual([2, 12, 5]);
    expect(flatten(x).shape).toEqual([120]);
    expect(unsqueeze(x, -1).shape).toEqual([2, 3, 4, 5, 1]);
    expect(squeeze(x, 1).shape).toEqual([2, 3, 4, 5]);
    expect(squeeze(zeros([1, 3, 1]), -1).shape).toEqual([1, 3]);
  });

  it('reshape names the shapes it cannot map', () => {
    expect(() => reshape(zeros([2, 3]), [4, 2])).toThrow(/cannot reshape \[2, 3\] \(6 elements\) into \[4, 2\]/);
    expect(() => reshape(zeros([2, 3]), [-1, 4])).toThrow(/cannot reshape \[2, 3\] into \[-1, 4\]/);
    expect(() => flatten(zeros([2, 3]), 1, 0)).toThrow(/flatten/);
  });

  it('empty tensors reshape and flatten', () => {
    expect(reshape(zeros([0, 3]), [3, 0, 2]).shape).toEqual([3, 0, 2]);
    expect(reshape(zeros([2, 0]), [-1, 4]).shape).toEqual([0, 4]);
    expect(flatten(zeros([2, 0, 3])).shape).toEqual([0]);
  });
});

describe('permute / transpose', () => {
  const permCase = specOf({ minRank: 1, maxRank: 4 }).chain((x) => {
    const r = x.shape.length;
    const all = [...Array(r).keys()];
    return fc.record({ x: fc.constant(x), perm: fc.shuffledSubarray(all, { minLength: r, maxLength: r }), neg: fc.array(fc.boolean(), { minLength: r, maxLength: r }) });
  });
  propGrad('permute', permCase, ({ x, perm, neg }) => {
    const r = x.shape.length;
    const dims = perm.map((d, i) => (neg[i] ? d - r : d));
    gradcheck((t) => weighted(permute(t, dims)), [leaf(x)]);
    // round trip through the inverse permutation
    const inv = new Array<number>(r);
    perm.forEach((d, i) => (inv[d] = i));
    const t = leaf(x, false);
    const p = permute(t, dims);
    expect(p.shape).toEqual(perm.map((d) => x.shape[d]));
    expect(permute(p, inv).tolist()).toEqual(t.tolist());
  });
  propGrad('transpose', specOf({ minRank: 2, maxRank: 4 }).chain((x) => fc.tuple(fc.constant(x), dimArb(x.shape.length), dimArb(x.shape.length))), ([x, a, b]) => {
    gradcheck((t) => weighted(transpose(t, a, b)), [leaf(x)]);
    const t = leaf(x, false);
    expect(transpose(transpose(t, a, b), b, a).tolist()).toEqual(t.tolist());
  });

  it('transpose values by hand; permute errors name the dims', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    expect(transpose(x, 0, 1).tolist()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(() => permute(x, [0, 0])).toThrow(/repeat an axis/);
    expect(() => permute(x, [0])).toThrow(/1 dims given for a tensor of rank 2/);
    expect(() => permute(x, [0, 2])).toThrow(/dim 2 is out of range for a tensor of rank 2/);
  });
});

describe('expand / repeat', () => {
  const expandCase = shapeArb({ maxRank: 3, maxNumel: 24 }).chain((out) =>
    broadcastableTo(out).chain((src) =>
      fc.record({
        x: specArb(src),
        out: fc.constant(out),
        // -1 keeps a dim of the source (only in dims the source has)
        keep: fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
      }),
    ),
  );
  propGrad('expand', expandCase, ({ x, out, keep }) => {
    const lead = out.length - x.shape.length;
    const target = out.map((d, i) => (i >= lead && keep[i] && x.shape[i - lead] === d ? -1 : d));
    gradcheck((t) => weighted(expand(t, target)), [leaf(x)]);
    expect(expand(leaf(x, false), target).shape).toEqual(out);
  });
  propGrad('repeat', specOf({ maxRank: 2, maxNumel: 6 }).chain((x) => fc.tuple(fc.constant(x), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: x.shape.length, maxLength: x.shape.length + 1 }))), ([x, reps]) => {
    gradcheck((t) => weighted(repeat(t, reps)), [leaf(x)]);
  });

  it('expand by hand, with -1 and new leading dims; bad targets are named', () => {
    const x = tensor([[1], [2]], { dtype: 'float64' });
    expect(expand(x, [2, -1, 3]).tolist()).toEqual([[[1, 1, 1], [2, 2, 2]], [[1, 1, 1], [2, 2, 2]]]);
    expect(() => expand(x, [3, 3])).toThrow(/shapes \[2, 1\] and \[3, 3\] cannot be broadcast/);
    expect(() => expand(x, [2, -2])).toThrow(/expand: target shape \[2, -2\] has an invalid size -2/);
    expect(() => expand(x, [-1, 2, 3])).toThrow(/expand/);
  });
});

describe('slice / narrow / flip', () => {
  const sliceCase = specOf({ minRank: 1, maxRank: 3 }).chain((x) =>
    dimArb(x.shape.length).chain((dim) => {
      const n = x.shape[dim < 0 ? dim + x.shape.length : dim]!;
      return fc.record({
        x: fc.constant(x),
        dim: fc.constant(dim),
        start: fc.integer({ min: -n - 1, max: n + 1 }),
        end: fc.option(fc.integer({ min: -n - 1, max: n + 1 }), { nil: undefined }),
        step: fc.integer({ min: 1, max: 3 }),
      });
    }),
  );
  propGrad('slice', sliceCase, ({ x, dim, start, end, step }) => {
    gradcheck((t) => weighted(slice(t, dim, start, end, step)), [leaf(x)]);
    // against Python's slicing of the index list
    const d = dim < 0 ? dim + x.shape.length : dim;
    const n = x.shape[d]!;
    const picked = pySlice(n, start, end, step);
    expect(slice(leaf(x, false), dim, start, end, step).shape[d]).toBe(picked.length);
    expect(slice(leaf(x, false), dim, start, end, step).tolist()).toEqual(index_select(leaf(x, false), dim, picked).tolist());
  });
  const narrowCase = specOf({ minRank: 1, maxRank: 3 }).chain((x) =>
    dimArb(x.shape.length).chain((dim) => {
      const n = x.shape[dim < 0 ? dim + x.shape.length : dim]!;
      return fc.integer({ min: 0, max: n }).chain((start) => fc.record({ x: fc.constant(x), dim: fc.constant(dim), start: fc.constant(start), length: fc.integer({ min: 0, max: n - start }) }));
    }),
  );
  propGrad('narrow', narrowCase, ({ x, dim, start, length }) => gradcheck((t) => weighted(narrow(t, dim, start, length)), [leaf(x)]));
  propGrad('flip', specOf({ minRank: 1, maxRank: 4 }).chain((x) => fc.tuple(fc.constant(x), dimsArb(x.shape.length))), ([x, dims]) => {
    gradcheck((t) => weighted(flip(t, dims)), [leaf(x)]);
    const t = leaf(x, false);
    expect(flip(flip(t, dims), dims).tolist()).toEqual(t.tolist());
  });

  it('slice with a step and negative bounds, by hand', () => {
    const x = tensor([0, 1, 2, 3, 4, 5, 6], { dtype: 'float64' });
    expect(slice(x, 0, 1, undefined, 2).tolist()).toEqual([1, 3, 5]);
    expect(slice(x, 0, -3).tolist()).toEqual([4, 5, 6]);
    expect(slice(x, 0, -100, 100, 3).tolist()).toEqual([0, 3, 6]);
    expect(slice(x, 0, 5, 2).tolist()).toEqual([]);
    expect(() => slice(x, 0, 0, 3, 0)).toThrow(/step must be a positive integer/);
    expect(narrow(x, 0, -2, 2).tolist()).toEqual([5, 6]);
    expect(() => narrow(x, 0, 5, 3)).toThrow(/narrow: \[5, 5\+3\) is outside dim 0 of size 7/);
  });

  it('flip by hand over two dims', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    expect(flip(x, [0, -1]).tolist()).toEqual([[6, 5, 4], [3, 2, 1]]);
    expect(flip(x, 1).tolist()).toEqual([[3, 2, 1], [6, 5, 4]]);
  });
});

function pySlice(n: number, start: number, end: number | undefined, step: number): number[] {
  const norm = (i: number): number => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  const out: number[] = [];
  for (let i = norm(start); i < norm(end ?? n); i += step) out.push(i);
  return out;
}

describe('index_select / gather', () => {
  const selectCase = specOf({ minRank: 1, maxRank: 3 }).chain((x) =>
    dimArb(x.shape.length).chain((dim) => {
      const n = x.shape[dim < 0 ? dim + x.shape.length : dim]!;
      // repeats and negative indices included
      return fc.record({ x: fc.constant(x), dim: fc.constant(dim), idx: fc.array(fc.integer({ min: -n, max: n - 1 }), { maxLength: 5 }) });
    }),
  );
  propGrad('index_select', selectCase, ({ x, dim, idx }) => gradcheck((t) => weighted(index_select(t, dim, idx)), [leaf(x)]));

  const gatherCase = specOf({ minRank: 1, maxRank: 3 }).chain((x) =>
    dimArb(x.shape.length).chain((dim) => {
      const d = dim < 0 ? dim + x.shape.length : dim;
      const n = x.shape[d]!;
      // index shape: <= x's size in other dims, any size along dim
      const ishape = fc.tuple(...x.shape.map((v, i) => (i === d ? fc.integer({ min: 0, max: 4 }) : fc.integer({ min: 1, max: v }))));
      return ishape.chain((is) =>
        fc.record({ x: fc.constant(x), dim: fc.constant(dim), index: specArb(is, fc.integer({ min: 0, max: n - 1 })) }),
      );
    }),
  );
  propGrad('gather', gatherCase, ({ x, dim, index }) => {
    const idx = { shape: index.shape, data: index.data };
    gradcheck((t) => weighted(gather(t, dim, idx)), [leaf(x)]);
  });

  it('index_select accumulates repeated rows in backward', () => {
    const x = tensor([[1, 2], [3, 4], [5, 6]], { dtype: 'float64', requires_grad: true });
    const y = index_select(x, 0, [2, 0, 2, -1]);
    expect(y.tolist()).toEqual([[5, 6], [1, 2], [5, 6], [5, 6]]);
    y.sum().backward();
    expect(x.grad!.tolist()).toEqual([[1, 1], [0, 0], [3, 3]]);
  });

  it('gather by hand (torch.gather dim 1) and its range errors', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
    const idx = { shape: [2, 2], data: [2, 0, 1, 1] };
    expect(gather(x, 1, idx).tolist()).toEqual([[3, 1], [5, 5]]);
    expect(() => gather(x, 1, { shape: [2, 1], data: [3, 0] })).toThrow(/gather: index 3 is out of range for size 3/);
    expect(() => index_select(x, 0, [2])).toThrow(/index_select: index 2 is out of range for size 2/);
    expect(() => gather(x, 1, { shape: [2], data: [0, 0] })).toThrow(/index rank 1 differs from input rank 2/);
  });
});

describe('cat / stack / chunk', () => {
  const catCase = shapeArb({ minRank: 1, maxRank: 3, maxNumel: 16 }).chain((base) =>
    dimArb(base.length).chain((dim) => {
      const d = dim < 0 ? dim + base.length : dim;
      // 1..3 pieces, each its own size along dim (0 allowed: an empty piece)
      return fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }).chain((sizes) =>
        fc.record({ dim: fc.constant(dim), xs: fc.tuple(...sizes.map((sz) => specArb(base.map((v, i) => (i === d ? sz : v))))) }),
      );
    }),
  );
  propGrad('cat', catCase, ({ dim, xs }) => {
    gradcheck((...ts) => weighted(cat(ts, dim)), xs.map((s) => leaf(s)));
    // the pieces come back out of the result in order
    const ts = xs.map((s) => leaf(s, false));
    const y = cat(ts, dim);
    let at = 0;
    ts.forEach((t) => {
      const d = dim < 0 ? dim + t.ndim : dim;
      expect(narrow(y, dim, at, t.shape[d]!).tolist()).toEqual(t.tolist());
      at += t.shape[d]!;
    });
  });
  const stackCase = specOf({ maxRank: 3, maxNumel: 12 }).chain((x) =>
    fc.record({ n: fc.integer({ min: 1, max: 3 }), dim: dimArb(x.shape.length + 1), shape: fc.constant(x.shape) }).chain(({ n, dim, shape }) =>
      fc.record({ dim: fc.constant(dim), xs: fc.array(specArb(shape), { minLength: n, maxLength: n }) }),
    ),
  );
  propGrad('stack', stackCase, ({ dim, xs }) => gradcheck((...ts) => weighted(stack(ts, dim)), xs.map((s) => leaf(s))));

  const chunkCase = specOf({ minRank: 1, maxRank: 3 }).chain((x) => fc.record({ x: fc.constant(x), chunks: fc.integer({ min: 1, max: 5 }), dim: dimArb(x.shape.length) }));
  propGrad('chunk', chunkCase, ({ x, chunks, dim }) => {
    // every piece is checked at once: a weighted sum of all of them
    gradcheck((t) => chunk(t, chunks, dim).map((p, i) => mul(sum(weighted(p)), i + 1)).reduce((a, b) => a.add(b)), [leaf(x)]);
    const pieces = chunk(leaf(x, false), chunks, dim);
    expect(cat(pieces, dim).tolist()).toEqual(leaf(x, false).tolist());
  });

  const sizes = (n: number, chunks: number): number[] => chunk(zeros([n]), chunks).map((t) => t.shape[0]!);
  it('chunk sizes follow torch.chunk', () => {
    expect(sizes(5, 3)).toEqual([2, 2, 1]);
    expect(sizes(6, 4)).toEqual([2, 2, 2]);
    expect(sizes(6, 3)).toEqual([2, 2, 2]);
    expect(sizes(7, 3)).toEqual([3, 3, 1]);
    expect(sizes(2, 5)).toEqual([1, 1]);
    expect(sizes(1, 1)).toEqual([1]);
    // an empty dim gives `chunks` empty pieces; torch.split gives one
    expect(sizes(0, 3)).toEqual([0, 0, 0]);
    expect(split(zeros([0]), 2).map((t) => t.shape[0])).toEqual([0]);
    expect(() => chunk(zeros([4]), 0)).toThrow(/chunk/);
  });

  it('split by size and by list', () => {
    const x = tensor([0, 1, 2, 3, 4], { dtype: 'float64' });
    expect(split(x, 2).map((t) => t.tolist())).toEqual([[0, 1], [2, 3], [4]]);
    expect(split(x, [1, 4]).map((t) => t.tolist())).toEqual([[0], [1, 2, 3, 4]]);
    expect(() => split(x, [1, 2])).toThrow(/split: sizes \[1,2\] do not add up to 5/);
  });

  it('cat errors name the mismatched shape; empty pieces are fine', () => {
    const a = zeros([2, 3]);
    expect(() => cat([a, zeros([2, 4])], 0)).toThrow(/cat: shape \[2, 4\] does not match \[2, 3\] outside dim 0/);
    expect(() => cat([], 0)).toThrow(/cat: needs at least one tensor/);
    expect(cat([a, zeros([0, 3]), a], 0).shape).toEqual([4, 3]);
    expect(cat([zeros([0, 3]), zeros([0, 3])], 0).shape).toEqual([0, 3]);
    expect(stack([a, a], -1).shape).toEqual([2, 3, 2]);
  });
});

