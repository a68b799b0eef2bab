// diffusers' BasicTransformerBlock: pre-LayerNorm self-attention, cross-attention and a GEGLU
// feed-forward, each added back to the stream.
import { add, type Tensor } from '../core/index.js';
import { Attention } from './attention_processor.js';
import { FeedForward } from './layers/feedforward.js';
import { LayerNorm } from './layers/norm.js';
import { Module, type ModuleOptions } from './module.js';

export interface BasicTransformerBlockOptions extends ModuleOptions {
  dropout?: number;
  /** Width of encoder_hidden_states; null leaves attn2 out (diffusers does the same). */
  cross_attention_dim?: number | null;
  attention_bias?: boolean;
  /** attn1 attends to the encoder states too (no self-attention at all). */
  only_cross_attention?: boolean;
  norm_eps?: number;
}

export class BasicTransformerBlock extends Module {
  readonly norm1: LayerNorm;
  readonly attn1: Attention;
  readonly norm2: LayerNorm | null;
  readonly attn2: Attention | null;
  readonly norm3: LayerNorm;
  readonly ff: FeedForward;
  readonly only_cross_attention: boolean;

  constructor(dim: number, num_attention_heads: number, attention_head_dim: number, opts: BasicTransformerBlockOptions = {}) {
    super();
    const eps = opts.norm_eps ?? 1e-5;
    const base = { dtype: opts.dtype, generator: opts.generator };
    const attnOpts = { ...base, heads: num_attention_heads, dim_head: attention_head_dim, dropout: opts.dropout ?? 0, bias: opts.attention_bias ?? false };
    const cross = opts.cross_attention_dim ?? null;
    this.only_cross_attention = opts.only_cross_attention ?? false;
    this.norm1 = this.add_module('norm1', new LayerNorm(dim, { ...base, eps }));
    this.attn1 = this.add_module('attn1', new Attention(dim, { ...attnOpts, cross_attention_dim: this.only_cross_attention ? cross : null }));
    if (cross !== null) {
      this.norm2 = this.add_module('norm2', new LayerNorm(dim, { ...base, eps }));
      this.attn2 = this.add_module('attn2', new Attention(dim, { ...attnOpts, cross_attention_dim: cross }));
    } else {
      this.norm2 = null;
      this.attn2 = null;
    }
    this.norm3 = this.add_module('norm3', new LayerNorm(dim, { ...base, eps }));
    this.ff = this.add_module('ff', new FeedForward(dim, { ...base, dropout: opts.dropout ?? 0 }));
  }

  /** hidden_states (B, S, dim); encoder_hidden_states (B, T, cross_attention_dim). Masks are additive biases. */
  forward(hidden_states: Tensor, encoder_hidden_states?: Tensor | null, attention_mask?: Tensor | null, encoder_attention_mask?: Tensor | null): Tensor {
    let x = hidden_states;
    const ctx1 = this.only_cross_attention ? encoder_hidden_states : null;
    x = add(this.attn1.forward(this.norm1.forward(x), ctx1, attention_mask), x);
    if (this.attn2 && this.norm2) x = add(this.attn2.forward(this.norm2.forward(x), encoder_hidden_states, encoder_attention_mask), x);
    return add(this.ff.forward(this.norm3.forward(x)), x);
  }
}
