// Global text conditioning (addition_embed_type "text"): AttentionPooling against a loop written
// from its definition, float64 gradchecks, diffusers' parameter names, and the UNet path by which
// the caption reaches every ResNet block even with cross-attention cut off.
import { describe, expect, it } from 'vitest';
import { Generator, gradcheck, no_grad, type Tensor } from '../../core/index.js';
import { AttentionPooling, AttnProcessor, TextTimeEmbedding, UNet2DConditionModel, unetConfig, type Attention, type AttentionProcessor } from '../../nn/index.js';

const f64 = { dtype: 'float64' as const };

/** The pooled vector by its definition, one head and one channel at a time. */
function poolByLoops(p: AttentionPooling, x: number[][][]): number[][] {
  const w = p.embed_dim;
  const d = w / p.num_heads;
  const lin = (l: { weight: Tensor; bias: Tensor | null }, v: number[]): number[] => {
    const W = l.weight.tolist() as number[][];
    const b = (l.bias?.tolist() ?? new Array(w).fill(0)) as number[];
    return W.map((row, o) => row.reduce((s, wv, i) => s + wv * v[i]!, b[o]!));
  };
  const pos = (p.positional_embedding.tolist() as number[][])[0]!;
  return x.map((tokens) => {
    const query = pos.map((pv, c) => pv + tokens.reduce((s, t) => s + t[c]!, 0) / tokens.length);
    const rows = [query, ...tokens];
    const q = lin(p.q_proj, query);
    const k = rows.map((r) => lin(p.k_proj, r));
    const v = rows.map((r) => lin(p.v_proj, r));
    const out = new Array<number>(w).fill(0);
    for (let h = 0; h < p.num_heads; h++) {
      const logits = k.map((kr) => {
        let s = 0;
        for (let c = h * d; c < (h + 1) * d; c++) s += q[c]! * kr[c]!;
        return s / Math.sqrt(d);
      });
      const m = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let c = h * d; c < (h + 1) * d; c++) out[c] = v.reduce((s, vr, j) => s + (e[j]! / z) * vr[c]!, 0);
    }
    return out;
  });
}

describe('AttentionPooling and TextTimeEmbedding', () => {
  const g = new Generator(7);

  it('pools as its definition says: the mean token plus an offset attends over itself and the tokens, per head', () => {
    const p = new AttentionPooling(2, 6, { ...f64, generator: g });
    const x = g.randn([3, 5, 6], f64);
    const got = no_grad(() => p.forward(x)).tolist() as number[][];
    const want = poolByLoops(p, x.tolist() as number[][][]);
    expect(got.length).toBe(3);
    got.forEach((row, b) => row.forEach((v, c) => expect(v).toBeCloseTo(want[b]![c]!, 12)));
  });

  it('has diffusers\' parameter names', () => {
    const t = new TextTimeEmbedding(8, 12, 2, { ...f64, generator: g });
    expect(Object.keys(t.state_dict()).sort()).toEqual(
      [
        'norm1.weight', 'norm1.bias', 'pool.positional_embedding', 'pool.k_proj.weight', 'pool.k_proj.bias', 'pool.q_proj.weight', 'pool.q_proj.bias',
        'pool.v_proj.weight', 'pool.v_proj.bias', 'proj.weight', 'proj.bias', 'norm2.weight', 'norm2.bias',
      ].sort(),
    );
    expect(() => new AttentionPooling(3, 8, f64)).toThrow(/do not split into 3 heads/);
  });

  it('gradchecks in float64 through the input and every kind of weight', () => {
    const t = new TextTimeEmbedding(4, 6, 2, { ...f64, generator: g });
    const x = g.randn([2, 3, 4], f64).requires_grad_(true);
    const report = gradcheck((a) => t.forward(a), [x, t.pool.positional_embedding, t.pool.q_proj.weight, t.pool.k_proj.weight, t.pool.v_proj.bias!, t.proj.weight, t.norm1.weight!]);
    expect(report.ok).toBe(true);
  });
});

/** Cross-attention that ignores the encoder states (attends to the hidden states instead). */
class BlindCrossAttention implements AttentionProcessor {
  readonly inner = new AttnProcessor();
  call(attn: Attention, h: Tensor, _e?: Tensor | null, m?: Tensor | null): Tensor {
    return this.inner.call(attn, h, attn.is_cross_attention ? null : _e, m);
  }
}

describe('UNet2DConditionModel with addition_embed_type "text"', () => {
  const tiny = { ...unetConfig('tiny'), addition_embed_type: 'text' as const, addition_embed_type_num_heads: 2 };

  it('adds add_embedding after time_embedding and keeps it through the config', () => {
    const u = new UNet2DConditionModel(tiny, { ...f64, generator: new Generator(0) });
    const keys = Object.keys(u.state_dict());
    expect(keys.filter((k) => k.startsWith('add_embedding.')).length).toBe(13);
    expect(keys.findIndex((k) => k.startsWith('add_embedding.'))).toBe(keys.findIndex((k) => k.startsWith('time_embedding.')) + 4);
    expect(u.config.addition_embed_type).toBe('text');
    const plain = new UNet2DConditionModel(unetConfig('tiny'), f64);
    expect(plain.add_embedding).toBeNull();
    expect(() => new UNet2DConditionModel({ ...unetConfig('tiny'), addition_embed_type: 'image' as unknown as 'text' })).toThrow(/addition_embed_type "image"/);
  });

  it('lets the caption reach the output with every cross-attention blind, and only then', () => {
    const g = new Generator(1);
    const x = g.randn([1, 3, 8, 8], f64);
    const ctxA = g.randn([1, 5, 8], f64);
    const ctxB = g.randn([1, 5, 8], f64);
    const outputs = (cfg: typeof tiny | ReturnType<typeof unetConfig>): [number[], number[]] => {
      const u = new UNet2DConditionModel(cfg, { ...f64, generator: new Generator(2) });
      u.set_attn_processor(new BlindCrossAttention());
      return no_grad(() => [Array.from(u.forward(x, 500, ctxA).sample.data), Array.from(u.forward(x, 500, ctxB).sample.data)]);
    };
    const [a, b] = outputs(tiny);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeGreaterThan(1e-6);
    const [pa, pb] = outputs(unetConfig('tiny'));
    expect(pa).toEqual(pb);
  });

  it('gradchecks in float64 from the output back to the encoder states through the global path', () => {
    const g = new Generator(3);
    const u = new UNet2DConditionModel(tiny, { ...f64, generator: g });
    u.set_attn_processor(new BlindCrossAttention());
    const x = g.randn([1, 3, 8, 8], f64);
    const ctx = g.randn([1, 3, 8], f64).requires_grad_(true);
    expect(gradcheck((c) => u.forward(x, 300, c).sample.sum(), [ctx, u.add_embedding!.proj.weight], { atol: 1e-6 }).ok).toBe(true);
  });
});
