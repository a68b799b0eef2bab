// Attention and its processors: layout of heads, scores, masks, a naive reference, gradchecks.
import { describe, expect, it } from 'vitest';
import { bmm, Generator, gradcheck, tensor, type Tensor } from '../../core/index.js';
import { Attention, AttnProcessor, countingFlops, type AttentionProcessor } from '../../nn/index.js';

const f64 = { dtype: 'float64' as const };

/** Row-major (rows, cols) matrix product of plain arrays. */
function mm(a: number[][], b: number[][]): number[][] {
  return a.map((r) => b[0]!.map((_, j) => r.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
}
const T = (a: number[][]): number[][] => a[0]!.map((_, j) => a.map((r) => r[j]!));

/** Multi-head attention from the weights, one sample and one head at a time. */
function naive(attn: Attention, x: number[][][], ctx: number[][][], bias?: number[][][]): number[][][] {
  const W = (t: Tensor): number[][] => t.tolist() as number[][];
  const [wq, wk, wv, wo] = [W(attn.to_q.weight), W(attn.to_k.weight), W(attn.to_v.weight), W(attn.out_proj.weight)];
  const bo = attn.out_proj.bias!.tolist() as number[];
  const D = attn.dim_head;
  return x.map((xb, b) => {
    const q = mm(xb, T(wq));
    const k = mm(ctx[b]!, T(wk));
    const v = mm(ctx[b]!, T(wv));
    const heads: number[][] = xb.map(() => []);
    for (let h = 0; h < attn.heads; h++) {
      const cols = (m: number[][]): number[][] => m.map((r) => r.slice(h * D, (h + 1) * D));
      const s = mm(cols(q), T(cols(k))).map((r, i) => r.map((val, j) => val * attn.scale + (bias ? bias[b]![bias[b]!.length === 1 ? 0 : i]![j]! : 0)));
      const p = s.map((r) => {
        const m = Math.max(...r);
        const e = r.map((val) => Math.exp(val - m));
        const z = e.reduce((a2, c) => a2 + c, 0);
        return e.map((val) => val / z);
      });
      mm(p, cols(v)).forEach((r, i) => heads[i]!.push(...r));
    }
    return mm(heads, T(wo)).map((r) => r.map((val, j) => val + bo[j]!));
  });
}

function close(a: unknown, b: unknown, tol = 1e-10): void {
  const fa = (a as number[]).flat(3) as number[];
  const fb = (b as number[]).flat(3) as number[];
  expect(fa.length).toBe(fb.length);
  fa.forEach((v, i) => expect(Math.abs(v - fb[i]!)).toBeLessThan(tol));
}

describe('Attention', () => {
  const g = new Generator(0);
  const self = new Attention(8, { ...f64, generator: g, heads: 2, dim_head: 3 });
  const cross = new Attention(8, { ...f64, generator: g, heads: 2, dim_head: 3, cross_attention_dim: 5 });

  it('has diffusers parameter names, no q/k/v bias, scale dim_head^-0.5', () => {
    expect(Object.keys(cross.state_dict())).toEqual(['to_q.weight', 'to_k.weight', 'to_v.weight', 'to_out.0.weight', 'to_out.0.bias']);
    expect(cross.to_k.weight.shape).toEqual([6, 5]);
    expect(cross.to_out.at(0)).toBe(cross.out_proj);
    expect(cross.to_out.at(1)).toBe(cross.out_dropout);
    expect(self.scale).toBeCloseTo(3 ** -0.5, 15);
    expect(self.is_cross_attention).toBe(false);
    expect(cross.is_cross_attention).toBe(true);
    expect(cross.processor).toBeInstanceOf(AttnProcessor);
  });

  it('head_to_batch_dim puts head h of sample b at row b*H + h; batch_to_head_dim inverts it', () => {
    // (B=2, S=1, H*D=2*3): value = 100 b + 10 h + d
    const vals = [0, 1].map((b) => [[0, 1].flatMap((h) => [0, 1, 2].map((d) => 100 * b + 10 * h + d))]);
    const t = tensor(vals, f64);
    const hb = self.head_to_batch_dim(t);
    expect(hb.shape).toEqual([4, 1, 3]);
    expect(hb.tolist()).toEqual([[[0, 1, 2]], [[10, 11, 12]], [[100, 101, 102]], [[110, 111, 112]]]);
    expect(self.batch_to_head_dim(hb).tolist()).toEqual(vals);
  });

  it('get_attention_scores is softmax(scale Q K^T + mask) over keys', () => {
    const q = g.randn([2, 3, 4], f64);
    const k = g.randn([2, 5, 4], f64);
    const mask = tensor([[[0, 0, -1e4, 0, -1e4]], [[0, -1e4, 0, 0, 0]]], f64);
    const p = self.get_attention_scores(q, k, mask).tolist() as number[][][];
    const Q = q.tolist() as number[][][];
    const K = k.tolist() as number[][][];
    const M = mask.tolist() as number[][][];
    for (let b = 0; b < 2; b++) {
      const s = mm(Q[b]!, T(K[b]!)).map((r) => r.map((v, j) => v * self.scale + M[b]![0]![j]!));
      s.forEach((r, i) => {
        const e = r.map((v) => Math.exp(v - Math.max(...r)));
        const z = e.reduce((a, c) => a + c, 0);
        e.forEach((v, j) => expect(p[b]![i]![j]).toBeCloseTo(v / z, 12));
      });
    }
  });

  it('prepare_attention_mask repeats per head in row order b*H + h and pads to the key length', () => {
    const m = tensor([[0, -1], [-2, -3]], f64); // (B=2, Sk=2)
    const out = cross.prepare_attention_mask(m, 3, 2)!;
    expect(out.shape).toEqual([4, 1, 3]);
    expect(out.tolist()).toEqual([[[0, -1, 0]], [[0, -1, 0]], [[-2, -3, 0]], [[-2, -3, 0]]]);
    expect(cross.prepare_attention_mask(null, 3, 2)).toBeNull();
    expect(() => cross.prepare_attention_mask(m, 1, 2)).toThrow(/longer/);
  });

  it('AttnProcessor matches a naive multi-head attention (self, cross, masked)', () => {
    const x = g.randn([2, 4, 8], f64);
    const ctx = g.randn([2, 3, 5], f64);
    const X = x.tolist() as number[][][];
    close(self.forward(x).tolist(), naive(self, X, X));
    close(cross.forward(x, ctx).tolist(), naive(cross, X, ctx.tolist() as number[][][]));
    const bias = [[[0, -1e9, 0]], [[-1e9, 0, 0]]];
    close(cross.forward(x, ctx, tensor(bias, f64)).tolist(), naive(cross, X, ctx.tolist() as number[][][], bias));
  });

  it('accepts (B, C, H, W) input and returns that shape', () => {
    const x = g.randn([1, 8, 2, 3], f64);
    const y = self.forward(x);
    expect(y.shape).toEqual([1, 8, 2, 3]);
    const tokens = x.reshape([1, 8, 6]).transpose(1, 2);
    close(y.reshape([1, 8, 6]).transpose(1, 2).tolist(), self.forward(tokens).tolist());
  });

  it('gradchecks through the default processor: self and cross, with and without mask', () => {
    const gg = new Generator(1);
    const x = gg.randn([2, 3, 8], f64).requires_grad_(true);
    const ctx = gg.randn([2, 4, 5], f64).requires_grad_(true);
    const mask = tensor([[0, -2, 0, -1], [0, 0, -3, 0]], f64);
    const opts = { atol: 1e-6 };
    expect(gradcheck((a) => self.forward(a), [x, ...self.parameters()], opts).ok).toBe(true);
    expect(gradcheck((a) => self.forward(a, null, tensor([[0, -1, 0], [-2, 0, 0]], f64)), [x, self.to_q.weight], opts).ok).toBe(true);
    expect(gradcheck((a, c) => cross.forward(a, c), [x, ctx, ...cross.parameters()], opts).ok).toBe(true);
    expect(gradcheck((a, c) => cross.forward(a, c, mask), [x, ctx, cross.to_k.weight, cross.to_v.weight], opts).ok).toBe(true);
  });

  it('a custom processor sees the probabilities and its edits reach the output and the gradient', () => {
    const seen: number[][] = [];
    // Break-A-Scene's shape: the default steps plus a controller call right after the softmax
    class Recording implements AttentionProcessor {
      call(attn: Attention, h: Tensor, ehs?: Tensor | null, mask?: Tensor | null): Tensor {
        const ctx = ehs ?? h;
        const q = attn.head_to_batch_dim(attn.to_q.forward(h));
        const k = attn.head_to_batch_dim(attn.to_k.forward(ctx));
        const v = attn.head_to_batch_dim(attn.to_v.forward(ctx));
        const probs = attn.get_attention_scores(q, k, attn.prepare_attention_mask(mask, ctx.dim(1), ctx.dim(0)));
        seen.push([...probs.shape]);
        return attn.out_dropout.forward(attn.out_proj.forward(attn.batch_to_head_dim(bmm(probs, v))));
      }
    }
    const attn = new Attention(8, { ...f64, generator: new Generator(2), heads: 2, dim_head: 3, cross_attention_dim: 5 });
    const x = g.randn([2, 4, 8], f64).requires_grad_(true);
    const ctx = g.randn([2, 3, 5], f64).requires_grad_(true);
    const base = attn.forward(x, ctx).tolist();
    attn.set_processor(new Recording());
    expect(attn.get_processor()).toBeInstanceOf(Recording);
    close(attn.forward(x, ctx).tolist(), base, 1e-12);
    expect(seen).toEqual([[4, 4, 3]]);
    expect(gradcheck((a, c) => attn.forward(a, c), [x, ctx, attn.to_k.weight], { atol: 1e-6 }).ok).toBe(true);
  });

  it('counts both attention products', () => {
    const x = g.randn([2, 4, 8], f64);
    const ctx = g.randn([2, 3, 5], f64);
    const { flops } = countingFlops(() => cross.forward(x, ctx));
    const proj = 2 * (8 * 8 * 6 + 2 * (6 * 5 * 6) + 8 * 6 * 8); // rows x in x out: to_q, to_k + to_v, to_out.0
    const products = 2 * 2 * (2 * 2) * 4 * 3 * 3;
    expect(flops).toBe(proj + products);
  });
});
