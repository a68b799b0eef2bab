// The P2P processor is the default attention processor with one step (`attend`) overridden: its
// outputs and gradients equal those of the standalone copy it replaced (kept below as the
// reference), for self- and cross-attention, token and spatial inputs, with and without a mask,
// and the controller sees the same probabilities in the same order.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bmm, Generator, mul, reshape, transpose, type Tensor } from '../../core/index.js';
import { Attention, AttnProcessor, type AttentionProcessor } from '../../nn/attention_processor.js';
import { AttentionControl, type PlaceInUnet } from '../../bas/attention/attention_control.js';
import { P2PCrossAttnProcessor } from '../../bas/attention/p2p_processor.js';

/** The P2P processor as it was before it became a subclass: a full copy of the default one plus the controller call. */
class ReferenceP2P implements AttentionProcessor {
  constructor(
    readonly controller: AttentionControl,
    readonly place_in_unet: PlaceInUnet,
    readonly layer = '',
  ) {}

  call(attn: Attention, hidden_states: Tensor, encoder_hidden_states?: Tensor | null, attention_mask?: Tensor | null): Tensor {
    let x = hidden_states;
    const spatial = x.ndim === 4;
    const [b, c, h, w] = x.shape as [number, number, number, number];
    if (spatial) x = transpose(reshape(x, [b, c, h * w]), 1, 2);
    const is_cross = encoder_hidden_states != null;
    const context = encoder_hidden_states ?? x;
    const mask = attn.prepare_attention_mask(attention_mask, context.dim(1), context.dim(0));
    const query = attn.head_to_batch_dim(attn.to_q.forward(x));
    const key = attn.head_to_batch_dim(attn.to_k.forward(context));
    const value = attn.head_to_batch_dim(attn.to_v.forward(context));
    let probs = attn.get_attention_scores(query, key, mask);
    probs = this.controller.call(probs, is_cross, this.place_in_unet, this.layer);
    let out = attn.batch_to_head_dim(bmm(probs, value));
    out = attn.out_dropout.forward(attn.out_proj.forward(out));
    return spatial ? reshape(transpose(out, 1, 2), [b, c, h, w]) : out;
  }
}

/** Records what it is shown and scales the probabilities, so a processor that skipped it would differ. */
class ScalingControl extends AttentionControl {
  readonly seen: { shape: readonly number[]; is_cross: boolean; place: PlaceInUnet; layer: string; sum: number }[] = [];
  override num_att_layers = 1;
  forward(attn: Tensor, is_cross: boolean, place_in_unet: PlaceInUnet, layer = ''): Tensor {
    this.seen.push({ shape: attn.shape, is_cross, place: place_in_unet, layer, sum: attn.sum().item() });
    return mul(attn, is_cross ? 0.75 : 1.25);
  }
}

interface Case {
  seed: number;
  cross: boolean;
  spatial: boolean;
  masked: boolean;
}

/** Output, input gradient and controller log of one forward + backward through `make`'s processor. */
function run(c: Case, make: (ctl: AttentionControl) => AttentionProcessor) {
  const g = new Generator(c.seed);
  const dim = 8;
  const attn = new Attention(dim, { heads: 2, dim_head: 4, cross_attention_dim: c.cross ? 6 : null, dtype: 'float64', generator: g });
  const ctl = new ScalingControl();
  attn.set_processor(make(ctl));
  const x = (c.spatial ? g.randn([2, dim, 2, 3], { dtype: 'float64' }) : g.randn([2, 5, dim], { dtype: 'float64' })).requires_grad_();
  const ctx = c.cross ? g.randn([2, 4, 6], { dtype: 'float64' }) : null;
  const keys = c.cross ? 4 : c.spatial ? 6 : 5;
  const mask = c.masked ? g.randn([2, keys], { dtype: 'float64' }) : null;
  const out = attn.forward(x, ctx, mask);
  out.mul(g.randn(out.shape, { dtype: 'float64' })).sum().backward();
  return { out: Array.from(out.data), shape: out.shape, grad: Array.from(x.grad!.data), seen: ctl.seen };
}

describe('P2PCrossAttnProcessor', () => {
  it('is a subclass of the default processor', () => {
    const p = new P2PCrossAttnProcessor(new ScalingControl(), 'up', 'up_blocks.0.attn2');
    expect(p).toBeInstanceOf(AttnProcessor);
    // the default's attend passes the probabilities through untouched
    const t = new Generator(0).rand([2, 3, 4], { dtype: 'float64' });
    expect(new AttnProcessor().attend(new Attention(4, { heads: 1, dim_head: 4 }), t, true)).toBe(t);
  });

  it('gives the outputs, gradients and controller calls of the copy it replaced', () => {
    fc.assert(
      fc.property(fc.record({ seed: fc.integer({ min: 0, max: 1e6 }), cross: fc.boolean(), spatial: fc.boolean(), masked: fc.boolean() }), (c) => {
        const now = run(c, (ctl) => new P2PCrossAttnProcessor(ctl, 'down', 'down_blocks.0.attn'));
        const ref = run(c, (ctl) => new ReferenceP2P(ctl, 'down', 'down_blocks.0.attn'));
        expect(now.shape).toEqual(ref.shape);
        expect(now.out).toEqual(ref.out);
        expect(now.grad).toEqual(ref.grad);
        expect(now.seen).toEqual(ref.seen);
        expect(now.seen).toHaveLength(1);
        expect(now.seen[0]!.is_cross).toBe(c.cross);
        // the controller's change reaches the output: the default processor gives something else
        const plain = run(c, () => new AttnProcessor());
        expect(plain.out).not.toEqual(now.out);
      }),
      { numRuns: 16, seed: 7 },
    );
  });
});
