// nn functionals: softmax / log_softmax, embedding, conv2d, group_norm, layer_norm, nearest
// interpolate, mse_loss, dropout. Gradchecks over generated shapes and options, and forward values
// against naive loops written out here.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  conv2d, dropout, embedding, pad_circular, Generator, gradcheck, group_norm, interpolate, layer_norm, log, log_softmax, logsumexp, mse_loss, mul, nearestIndices, softmax, sum,
  tensor, zeros, type Tensor,
} from '../../core/index.js';
import { constant, dimArb, leaf, shapeArb, specArb, type Spec } from '../helpers/arbitraries.js';
import { propGrad } from '../helpers/grad.js';

const weights = (y: Tensor): Tensor => mul(y, tensor(Float64Array.from({ length: y.size }, (_, i) => Math.sin(i + 1)), { dtype: 'float64', shape: y.shape }));
const close = (got: ArrayLike<number>, want: ArrayLike<number>, digits = 12): void => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want[i]!, digits);
};

describe('softmax / log_softmax', () => {
  const softCase = shapeArb({ minRank: 1, maxRank: 3, maxNumel: 30 }).chain((s) => fc.record({ x: specArb(s, fc.double({ min: -4, max: 4, noNaN: true })), dim: dimArb(s.length) }));
  propGrad('softmax', softCase, ({ x, dim }) => gradcheck((t) => softmax(t, dim), [leaf(x)]));
  propGrad('log_softmax', softCase, ({ x, dim }) => gradcheck((t) => log_softmax(t, dim), [leaf(x)]));
  propGrad('logsumexp', softCase, ({ x, dim }) => gradcheck((t) => logsumexp(t, dim), [leaf(x)]));

  propGrad('softmax (rows sum to 1, log_softmax = log(softmax))', softCase, ({ x, dim }) => {
    const t = leaf(x, false);
    const y = softmax(t, dim);
    close(sum(y, dim).data, new Float64Array(sum(y, dim).size).fill(1), 12);
    expect(Array.from(y.data).every((v) => v >= 0 && v <= 1)).toBe(true);
    close(log_softmax(t, dim).data, log(y).data, 12);
  });

  it('huge logits (1000, -1000) stay finite and exact', () => {
    const x = tensor([[1000, 0, -1000], [1000, 1000, 999]], { dtype: 'float64', requires_grad: true });
    const y = softmax(x, -1);
    expect(Array.from(y.data).every(Number.isFinite)).toBe(true);
    close(y.data, [1, Math.exp(-1000), 0, 1 / (2 + Math.exp(-1)), 1 / (2 + Math.exp(-1)), Math.exp(-1) / (2 + Math.exp(-1))], 14);
    const ls = log_softmax(x, 1);
    expect(Array.from(ls.data).every(Number.isFinite)).toBe(true);
    close(ls.data, [0, -1000, -2000, -Math.log(2 + Math.exp(-1)), -Math.log(2 + Math.exp(-1)), -1 - Math.log(2 + Math.exp(-1))], 10);
    ls.sum().backward();
    expect(Array.from(x.grad!.data).every(Number.isFinite)).toBe(true);
    // float32 as well
    const y32 = softmax(tensor([[1000, 0, -1000]], { dtype: 'float32' }), -1);
    expect(Array.from(y32.data).every(Number.isFinite)).toBe(true);
    expect(y32.data[0]).toBe(1);
    expect(Array.from(log_softmax(tensor([[1000, 0, -1000]], { dtype: 'float32' })).data).every(Number.isFinite)).toBe(true);
  });

  it('softmax over dim 0 by hand; 0-d softmax is 1', () => {
    const y = softmax(tensor([[0, 1], [0, 1]], { dtype: 'float64' }), 0);
    expect(y.tolist()).toEqual([[0.5, 0.5], [0.5, 0.5]]);
    expect(softmax(tensor(3, { dtype: 'float64' })).item()).toBe(1);
  });
});

describe('embedding', () => {
  const embCase = fc
    .record({ num: fc.integer({ min: 1, max: 5 }), dim: fc.integer({ min: 1, max: 4 }), ids: shapeArb({ maxRank: 2, maxNumel: 6 }) })
    .chain(({ num, dim, ids }) => fc.record({ w: specArb([num, dim]), ids: specArb(ids, fc.integer({ min: 0, max: num - 1 })) }));
  propGrad('embedding', embCase, ({ w, ids }) => {
    gradcheck((t) => weights(embedding(constant(ids), t)), [leaf(w)]);
    expect(embedding(constant(ids), leaf(w, false)).shape).toEqual([...ids.shape, w.shape[1]]);
  });

  it('rows by hand; repeated ids accumulate their gradient', () => {
    const w = tensor([[1, 2], [3, 4], [5, 6]], { dtype: 'float64', requires_grad: true });
    const y = embedding([2, 0, 2], w);
    expect(y.tolist()).toEqual([[5, 6], [1, 2], [5, 6]]);
    y.sum().backward();
    expect(w.grad!.tolist()).toEqual([[1, 1], [0, 0], [2, 2]]);
    expect(() => embedding([3], w)).toThrow(/index 3 is out of range for size 3/);
  });
});

/** Direct 7-loop cross-correlation with zero padding. */
function naiveConv2d(x: Spec, w: Spec, bias: number[] | null, stride: [number, number], pad: [number, number]): { shape: number[]; data: number[] } {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [o, , kh, kw] = w.shape as [number, number, number, number];
  const oh = Math.floor((h + 2 * pad[0] - kh) / stride[0]) + 1;
  const ow = Math.floor((wd + 2 * pad[1] - kw) / stride[1]) + 1;
  const data: number[] = [];
  for (let b = 0; b < n; b++)
    for (let f = 0; f < o; f++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let s = bias ? bias[f]! : 0;
          for (let ch = 0; ch < c; ch++)
            for (let p = 0; p < kh; p++)
              for (let q = 0; q < kw; q++) {
                const y = i * stride[0] - pad[0] + p;
                const xx = j * stride[1] - pad[1] + q;
                if (y < 0 || y >= h || xx < 0 || xx >= wd) continue;
                s += x.data[((b * c + ch) * h + y) * wd + xx]! * w.data[((f * c + ch) * kh + p) * kw + q]!;
              }
          data.push(s);
        }
  return { shape: [n, o, oh, ow], data };
}

describe('conv2d', () => {
  const convCase = fc
    .record({
      n: fc.integer({ min: 1, max: 2 }),
      c: fc.integer({ min: 1, max: 2 }),
      o: fc.integer({ min: 1, max: 2 }),
      h: fc.integer({ min: 1, max: 5 }),
      w: fc.integer({ min: 1, max: 5 }),
      kh: fc.integer({ min: 1, max: 3 }),
      kw: fc.integer({ min: 1, max: 3 }),
      stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      pad: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
      bias: fc.boolean(),
      squareOpts: fc.boolean(),
    })
    .filter(({ h, w, kh, kw, pad }) => h + 2 * pad[0] >= kh && w + 2 * pad[1] >= kw)
    .map((r) => (r.squareOpts ? { ...r, stride: [r.stride[0], r.stride[0]] as [number, number], pad: [r.pad[0], r.pad[0]] as [number, number] } : r))
    .filter(({ h, w, kh, kw, pad }) => h + 2 * pad[0] >= kh && w + 2 * pad[1] >= kw)
    .chain((r) => fc.record({ r: fc.constant(r), x: specArb([r.n, r.c, r.h, r.w]), wt: specArb([r.o, r.c, r.kh, r.kw]), b: specArb([r.o]) }));

  propGrad('conv2d', convCase, ({ r, x, wt, b }) => {
    const opts = r.squareOpts ? { stride: r.stride[0], padding: r.pad[0] } : { stride: r.stride, padding: r.pad };
    const inputs = [leaf(x), leaf(wt), ...(r.bias ? [leaf(b)] : [])];
    gradcheck((xx, ww, bb) => conv2d(xx!, ww!, bb, opts), inputs);
    const y = conv2d(leaf(x, false), leaf(wt, false), r.bias ? leaf(b, false) : null, opts);
    const want = naiveConv2d(x, wt, r.bias ? b.data : null, r.stride, r.pad);
    expect(y.shape).toEqual(want.shape);
    close(y.data, want.data, 12);
  });

  it('errors name the mismatch', () => {
    expect(() => conv2d(zeros([1, 3, 4, 4]), zeros([2, 2, 3, 3]))).toThrow(/conv2d: input has 3 channels, weight expects 2/);
    expect(() => conv2d(zeros([1, 1, 2, 2]), zeros([1, 1, 3, 3]))).toThrow(/conv2d: kernel 3x3 larger than padded input 2x2/);
    expect(() => conv2d(zeros([1, 4, 4]), zeros([1, 1, 3, 3]))).toThrow(/conv2d: expects 4-D input and weight/);
  });
});

describe('pad_circular', () => {
  const padCase = fc
    .record({ n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 4 }), w: fc.integer({ min: 1, max: 4 }), ph: fc.integer({ min: 0, max: 4 }), pw: fc.integer({ min: 0, max: 4 }) })
    .filter((r) => r.ph <= r.h && r.pw <= r.w)
    .chain((r) => fc.record({ r: fc.constant(r), x: specArb([r.n, r.c, r.h, r.w]) }));

  propGrad('pad_circular', padCase, ({ r, x }) => {
    gradcheck((xx) => pad_circular(xx!, [r.ph, r.pw]), [leaf(x)]);
    // torch's circular pad: output (i, j) reads input ((i - ph) mod h, (j - pw) mod w)
    const y = pad_circular(leaf(x, false), [r.ph, r.pw]);
    const [H, W] = [r.h + 2 * r.ph, r.w + 2 * r.pw];
    expect(y.shape).toEqual([r.n, r.c, H, W]);
    const want: number[] = [];
    const mod = (a: number, m: number): number => ((a % m) + m) % m;
    for (let p = 0; p < r.n * r.c; p++) {
      for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) want.push(x.data[p * r.h * r.w + mod(i - r.ph, r.h) * r.w + mod(j - r.pw, r.w)]!);
    }
    close(y.data, want, 15);
  });

  it('a circular conv is equivariant to a wrapped shift of its input, where a zero-padded one is not', () => {
    const g = new Generator(5);
    const x = g.randn([1, 2, 6, 6], { dtype: 'float64' });
    const wt = g.randn([3, 2, 3, 3], { dtype: 'float64' });
    const roll = (t: Tensor, dy: number, dx: number): number[] => {
      const [c, h, w] = [t.dim(1), t.dim(2), t.dim(3)];
      const out: number[] = [];
      for (let k = 0; k < c; k++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) out.push(t.data[k * h * w + (((i - dy) % h) + h) % h * w + ((((j - dx) % w) + w) % w)]!);
      return out;
    };
    const circ = (t: Tensor): Tensor => conv2d(pad_circular(t, 1), wt);
    const shifted = tensor(Float64Array.from(roll(x, 2, 1)), { dtype: 'float64', shape: x.shape });
    close(circ(shifted).data, roll(circ(x), 2, 1), 12);
    const zero = (t: Tensor): Tensor => conv2d(t, wt, null, { padding: 1 });
    const diff = roll(zero(x), 2, 1).map((v, i) => Math.abs(v - zero(shifted).data[i]!));
    expect(Math.max(...diff)).toBeGreaterThan(1e-3);
    expect(() => pad_circular(x, 7)).toThrow(/pad_circular: padding \(7, 7\) must be whole numbers from 0 to the input's size 6x6/);
  });
});

/** Normalise each group of `size` consecutive values (biased variance). */
function naiveNormalize(data: readonly number[], size: number, eps: number): number[] {
  const out: number[] = [];
  for (let g = 0; g < data.length; g += size) {
    const part = data.slice(g, g + size);
    const mu = part.reduce((a, b) => a + b, 0) / size;
    const v = part.reduce((a, b) => a + (b - mu) ** 2, 0) / size;
    for (const p of part) out.push((p - mu) / Math.sqrt(v + eps));
  }
  return out;
}

describe('group_norm / layer_norm', () => {
  const gnCase = fc
    .record({ n: fc.integer({ min: 1, max: 2 }), groups: fc.integer({ min: 1, max: 3 }), per: fc.integer({ min: 1, max: 2 }), spatial: shapeArb({ maxRank: 2, maxDim: 3, maxNumel: 6 }), affine: fc.boolean() })
    .chain((r) => {
      const c = r.groups * r.per;
      return fc.record({ r: fc.constant(r), x: specArb([r.n, c, ...r.spatial]), w: specArb([c]), b: specArb([c]) });
    })
    // a group of one element has variance 0: still smooth (eps), but keep groups of >= 2 values
    .filter(({ r }) => r.per * r.spatial.reduce((a, b) => a * b, 1) >= 2);
  propGrad('group_norm', gnCase, ({ r, x, w, b }) => {
    const inputs = [leaf(x), ...(r.affine ? [leaf(w), leaf(b)] : [])];
    gradcheck((xx, ww, bb) => weights(group_norm(xx!, r.groups, ww, bb)), inputs);
    const y = group_norm(leaf(x, false), r.groups, r.affine ? leaf(w, false) : null, r.affine ? leaf(b, false) : null);
    const c = x.shape[1]!;
    const inner = x.data.length / x.shape[0]! / c;
    const normed = naiveNormalize(x.data, (c / r.groups) * inner, 1e-5);
    const want = normed.map((v, i) => {
      const ch = Math.floor(i / inner) % c;
      return r.affine ? v * w.data[ch]! + b.data[ch]! : v;
    });
    close(y.data, want, 10);
  });

  const lnCase = shapeArb({ minRank: 1, maxRank: 3, maxNumel: 24 })
    .chain((s) => fc.record({ s: fc.constant(s), k: fc.integer({ min: 1, max: s.length }), affine: fc.boolean() }))
    .filter(({ s, k }) => s.slice(s.length - k).reduce((a, b) => a * b, 1) >= 2)
    .chain(({ s, k, affine }) => fc.record({ x: specArb(s), k: fc.constant(k), affine: fc.constant(affine), w: specArb(s.slice(s.length - k)), b: specArb(s.slice(s.length - k)) }));
  propGrad('layer_norm', lnCase, ({ x, k, affine, w, b }) => {
    const ns = x.shape.slice(x.shape.length - k);
    const inputs = [leaf(x), ...(affine ? [leaf(w), leaf(b)] : [])];
    gradcheck((xx, ww, bb) => weights(layer_norm(xx!, ns, ww, bb)), inputs);
    const y = layer_norm(leaf(x, false), ns, affine ? leaf(w, false) : null, affine ? leaf(b, false) : null);
    const size = ns.reduce((a, c) => a * c, 1);
    const want = naiveNormalize(x.data, size, 1e-5).map((v, i) => (affine ? v * w.data[i % size]! + b.data[i % size]! : v));
    close(y.data, want, 10);
  });

  it('errors name the mismatch', () => {
    expect(() => group_norm(zeros([1, 6, 2]), 4)).toThrow(/group_norm: 6 channels are not divisible into 4 groups/);
    expect(() => layer_norm(zeros([2, 3]), [2])).toThrow(/layer_norm: normalized shape \[2\] does not match input \[2, 3\]/);
  });
});

describe('interpolate (nearest)', () => {
  it("source indices follow PyTorch's rule floor(dst * in / out)", () => {
    expect(Array.from(nearestIndices(5, 3))).toEqual([0, 1, 3]);
    expect(Array.from(nearestIndices(3, 7))).toEqual([0, 0, 0, 1, 1, 2, 2]);
    expect(Array.from(nearestIndices(4, 8))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(Array.from(nearestIndices(8, 4))).toEqual([0, 2, 4, 6]);
    expect(Array.from(nearestIndices(4, 4))).toEqual([0, 1, 2, 3]);
    expect(Array.from(nearestIndices(1, 3))).toEqual([0, 0, 0]);
    expect(Array.from(nearestIndices(32, 16))).toEqual(Array.from({ length: 16 }, (_, i) => 2 * i));
  });

  it('indices match exact integer floor(dst * in / out) for the sizes the project uses', () => {
    for (const inSize of [1, 2, 3, 5, 7, 8, 16, 24, 32, 48, 64, 100, 128, 256, 512, 768, 1024])
      for (const outSize of [8, 16, 32, 64])
        expect(Array.from(nearestIndices(inSize, outSize))).toEqual(Array.from({ length: outSize }, (_, i) => Math.min(Math.floor((i * inSize) / outSize), inSize - 1)));
  });

  it('the scale is float32 as in PyTorch (floorf(dst * (float)(in / out)))', () => {
    // 14 -> 46: exactly 23 * 14 / 46 = 7, but float32(14 / 46) * 23 rounds below 7
    expect(nearestIndices(14, 46)[23]).toBe(6);
    // same size copies; scale_factor 1.2 on 3 rows gives 3 rows, copied
    expect(interpolate(tensor([[[[1], [2], [3]]]], { dtype: 'float64' }), { scale_factor: 1.2 }).tolist()).toEqual([[[[1], [2], [3]]]]);
  });

  it('values and backward by hand: 3 -> 7 rows, 2 -> 3 cols', () => {
    const x = tensor([[[[1, 2], [3, 4], [5, 6]]]], { dtype: 'float64', requires_grad: true });
    const y = interpolate(x, { size: [7, 3] });
    expect(y.shape).toEqual([1, 1, 7, 3]);
    expect(y.tolist()).toEqual([[[[1, 1, 2], [1, 1, 2], [1, 1, 2], [3, 3, 4], [3, 3, 4], [5, 5, 6], [5, 5, 6]]]]);
    y.sum().backward();
    // each source gets one per output that copies it: rows used 3,2,2 times, cols 2,1
    expect(x.grad!.tolist()).toEqual([[[[6, 3], [4, 2], [4, 2]]]]);
    expect(interpolate(x.detach(), { scale_factor: 2 }).shape).toEqual([1, 1, 6, 4]);
    expect(interpolate(x.detach(), { scale_factor: 0.5 }).tolist()).toEqual([[[[1]]]]);
  });

  const interpCase = fc
    .record({ n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 5 }), w: fc.integer({ min: 1, max: 5 }), oh: fc.integer({ min: 1, max: 7 }), ow: fc.integer({ min: 1, max: 7 }) })
    .chain((r) => fc.record({ r: fc.constant(r), x: specArb([r.n, r.c, r.h, r.w]) }));
  propGrad('interpolate', interpCase, ({ r, x }) => {
    gradcheck((t) => weights(interpolate(t, { size: [r.oh, r.ow] })), [leaf(x)]);
  });
});

describe('mse_loss', () => {
  const mseCase = shapeArb({ maxRank: 3, maxNumel: 30 }).chain((s) => fc.tuple(specArb(s), specArb(s)));
  propGrad('mse_loss', mseCase, ([a, b]) => {
    gradcheck((x, y) => mse_loss(x!, y!), [leaf(a), leaf(b)]);
    gradcheck((x, y) => mse_loss(x!, y!, 'sum'), [leaf(a), leaf(b)]);
    const n = a.data.length;
    expect(mse_loss(leaf(a, false), leaf(b, false)).item()).toBeCloseTo(a.data.reduce((s, v, i) => s + (v - b.data[i]!) ** 2, 0) / n, 12);
  });
});

describe('dropout', () => {
  const dropCase = shapeArb({ maxRank: 3, maxNumel: 30 }).chain((s) => fc.record({ x: specArb(s), p: fc.constantFrom(0, 0.1, 0.5, 0.9), seed: fc.integer({ min: 0, max: 1e6 }) }));
  // the mask is fixed by a fresh generator per evaluation, so the function is deterministic
  propGrad('dropout', dropCase, ({ x, p, seed }) => gradcheck((t) => dropout(t, p, true, new Generator(seed)), [leaf(x)]));

  it('same seed, same mask; survivors scaled by 1 / (1 - p); eval is the identity', () => {
    const x = tensor(new Float64Array(2000).fill(1), { dtype: 'float64' });
    const a = dropout(x, 0.3, true, new Generator(7));
    const b = dropout(x, 0.3, true, new Generator(7));
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    const c = dropout(x, 0.3, true, new Generator(8));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    const vals = new Set(Array.from(a.data).map((v) => v.toFixed(12)));
    expect([...vals].sort()).toEqual(['0.000000000000', (1 / 0.7).toFixed(12)]);
    const zeroFrac = Array.from(a.data).filter((v) => v === 0).length / 2000;
    expect(Math.abs(zeroFrac - 0.3)).toBeLessThan(0.05);
    expect(dropout(x, 0.3, false)).toBe(x);
    expect(Array.from(dropout(x, 1, true, new Generator(1)).data).every((v) => v === 0)).toBe(true);
    expect(() => dropout(x, 1.5)).toThrow(/dropout probability 1.5 is outside \[0, 1\]/);
  });

  it('gradient is the mask itself', () => {
    const x = tensor(new Float64Array(50).fill(2), { dtype: 'float64', requires_grad: true });
    const y = dropout(x, 0.5, true, new Generator(3));
    y.sum().backward();
    expect(Array.from(x.grad!.data)).toEqual(Array.from(y.data).map((v) => v / 2));
  });
});

