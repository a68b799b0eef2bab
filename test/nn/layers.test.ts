// Layers: float64 gradchecks through each (inputs and parameters), init, shapes, FLOP counts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, gelu, gradcheck, mul, quick_gelu, silu, sum, tensor, type Tensor } from '../../core/index.js';
import {
  Conv2d,
  countingFlops,
  Dropout,
  Embedding,
  FeedForward,
  GEGLU,
  GELU,
  GroupNorm,
  LayerNorm,
  Linear,
  QuickGELU,
  SiLU,
} from '../../nn/index.js';

const f64 = { dtype: 'float64' as const };
const leaf = (g: Generator, shape: number[]): Tensor => g.randn(shape, f64).requires_grad_(true);
/** Affine params start at 1/0; perturb them so their gradcheck is not at a special point. */
function jitter(t: Tensor | null, g: Generator): void {
  if (t) t.assign_(g.randn(t.shape, f64));
}

describe('layer gradchecks (float64)', () => {
  it('Linear, with and without bias, any leading dims', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.integer(), (i, o, n, bias, seed) => {
        const g = new Generator(seed);
        const lin = new Linear(i, o, { ...f64, generator: g, bias });
        const x = leaf(g, [n, 2, i]);
        const params = lin.parameters();
        expect(gradcheck((a) => lin.forward(a), [x, ...params]).ok).toBe(true);
      }),
      { numRuns: 12 },
    );
  });

  it('Conv2d with stride and padding (UNet: 3x3 pad 1, 3x3 stride 2, 1x1)', () => {
    for (const [k, stride, padding] of [
      [3, 1, 1],
      [3, 2, 1],
      [1, 1, 0],
    ] as const) {
      const g = new Generator(k * 10 + stride);
      const conv = new Conv2d(2, 3, k, { ...f64, generator: g, stride, padding });
      const x = leaf(g, [2, 2, 5, 4]);
      expect(gradcheck((a, w, b) => conv.forward(a), [x, conv.weight, conv.bias!]).ok).toBe(true);
    }
  });

  it('GroupNorm (eps 1e-5 and 1e-6) and LayerNorm', () => {
    const g = new Generator(3);
    for (const eps of [1e-5, 1e-6]) {
      const gn = new GroupNorm(2, 4, { ...f64, eps });
      jitter(gn.weight, g);
      jitter(gn.bias, g);
      expect(gradcheck((a) => gn.forward(a), [leaf(g, [2, 4, 3, 2]), gn.weight!, gn.bias!]).ok).toBe(true);
    }
    const ln = new LayerNorm(5, f64);
    jitter(ln.weight, g);
    jitter(ln.bias, g);
    expect(gradcheck((a) => ln.forward(a), [leaf(g, [2, 3, 5]), ln.weight!, ln.bias!]).ok).toBe(true);
  });

  it('Embedding (gradient into the looked-up rows, repeats accumulate)', () => {
    const g = new Generator(4);
    const emb = new Embedding(6, 3, { ...f64, generator: g });
    const ids = tensor([[0, 5, 5], [2, 0, 1]], f64);
    const r = gradcheck(() => emb.forward(ids), [emb.weight]);
    expect(r.ok).toBe(true);
    expect(emb.forward(ids).shape).toEqual([2, 3, 3]);
  });

  it('Dropout while training (same mask each call) and in eval', () => {
    const g = new Generator(5);
    const drop = new Dropout(0.3, new Generator(0));
    const x = leaf(g, [4, 5]);
    const masked = (a: Tensor): Tensor => {
      drop.generator.manual_seed(11);
      return drop.forward(a);
    };
    expect(gradcheck(masked, [x]).ok).toBe(true);
    drop.eval();
    expect(drop.forward(x)).toBe(x);
  });

  it('SiLU, GELU (exact and tanh), QuickGELU', () => {
    const g = new Generator(6);
    const x = leaf(g, [3, 4]);
    for (const m of [new SiLU(), new GELU(), new GELU('tanh'), new QuickGELU()]) expect(gradcheck((a) => m.forward(a), [x]).ok).toBe(true);
    expect(new SiLU().forward(x).tolist()).toEqual(silu(x).tolist());
    expect(new QuickGELU().forward(x).tolist()).toEqual(quick_gelu(x).tolist());
  });

  it('GEGLU and FeedForward', () => {
    const g = new Generator(7);
    const geglu = new GEGLU(3, 2, { ...f64, generator: g });
    const x = leaf(g, [2, 3]);
    expect(gradcheck((a) => geglu.forward(a), [x, ...geglu.parameters()]).ok).toBe(true);
    const ff = new FeedForward(3, { ...f64, generator: g, mult: 2 });
    expect(gradcheck((a) => ff.forward(a), [leaf(g, [2, 2, 3]), ...ff.parameters()]).ok).toBe(true);
  });
});

describe('layer behaviour', () => {
  it('GEGLU is the first half of proj(x) times gelu of the second half', () => {
    const g = new Generator(8);
    const geglu = new GEGLU(3, 2, { ...f64, generator: g });
    const x = g.randn([1, 3], f64);
    const h = geglu.proj.forward(x).data;
    const y = geglu.forward(x).data;
    for (let j = 0; j < 2; j++) {
      const gate = gelu(tensor([h[2 + j]!], f64)).item();
      expect(y[j]).toBeCloseTo(h[j]! * gate, 12);
    }
  });

  it('FeedForward has diffusers names: net.0.proj, net.2', () => {
    const ff = new FeedForward(4);
    expect(Object.keys(ff.state_dict())).toEqual(['net.0.proj.weight', 'net.0.proj.bias', 'net.2.weight', 'net.2.bias']);
    expect(ff.net.at(0)).toBeInstanceOf(GEGLU);
    expect((ff.net.at(0) as GEGLU).proj.weight.shape).toEqual([32, 4]);
    expect((ff.net.at(2) as Linear).weight.shape).toEqual([4, 16]);
  });

  it('init: torch-style uniform bound 1/sqrt(fan_in), norms at 1/0, reproducible per seed', () => {
    const a = new Conv2d(4, 8, 3, { generator: new Generator(9) });
    const b = new Conv2d(4, 8, 3, { generator: new Generator(9) });
    expect(Array.from(a.weight.data)).toEqual(Array.from(b.weight.data));
    const bound = 1 / Math.sqrt(4 * 9);
    const w = Array.from(a.weight.data);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(bound * 0.9);
    const gn = new GroupNorm(2, 4);
    expect(gn.weight!.tolist()).toEqual([1, 1, 1, 1]);
    expect(gn.bias!.tolist()).toEqual([0, 0, 0, 0]);
    const emb = new Embedding(100, 50, { generator: new Generator(1), std: 0.02 });
    const e = Array.from(emb.weight.data);
    const sd = Math.sqrt(e.reduce((s, v) => s + v * v, 0) / e.length);
    expect(sd).toBeGreaterThan(0.018);
    expect(sd).toBeLessThan(0.022);
    expect(new Linear(2, 3).weight.dtype).toBe('float32');
  });

  it('Embedding.resize keeps old rows', () => {
    const emb = new Embedding(3, 2, { generator: new Generator(2) });
    const old = emb.weight.tolist() as number[][];
    emb.resize(5);
    const now = emb.weight.tolist() as number[][];
    expect(now.slice(0, 3)).toEqual(old);
    expect(emb.num_embeddings).toBe(5);
    expect(emb.named_parameters()[0]![1]).toBe(emb.weight);
  });

  it('counts 2 FLOPs per multiply-add in Linear and Conv2d', () => {
    const lin = new Linear(3, 5);
    const conv = new Conv2d(2, 4, 3, { stride: 2, padding: 1 });
    const { flops } = countingFlops(() => {
      lin.forward(tensor(new Float32Array(2 * 4 * 3), { shape: [2, 4, 3] }));
      conv.forward(tensor(new Float32Array(1 * 2 * 6 * 6), { shape: [1, 2, 6, 6] }));
    });
    expect(flops).toBe(2 * 8 * 3 * 5 + 2 * (4 * 3 * 3) * 2 * 9);
    expect(countingFlops(() => sum(mul(tensor([1]), 2))).flops).toBe(0);
  });
});
