// Global text conditioning (diffusers' `addition_embed_type: "text"`): the encoder's hidden states
// are pooled by attention into one vector that is added to the time embedding, so every ResNet
// block (also those at resolutions without cross-attention) sees the caption. Cross-attention
// tells a block where a word applies; this tells every block what the whole caption asks for.
import { add, cat, get_default_dtype, matmul, mul, permute, reshape, softmax, transpose, type Tensor } from '../../core/index.js';
import { Linear } from '../layers/linear.js';
import { normal } from '../layers/init.js';
import { LayerNorm } from '../layers/norm.js';
import { generatorOf, Module, type ModuleOptions } from '../module.js';

/** (B, L, W) -> (B, W): a learned query (the mean token plus an offset) attends over the mean and the tokens. */
export class AttentionPooling extends Module {
  readonly positional_embedding: Tensor;
  readonly k_proj: Linear;
  readonly q_proj: Linear;
  readonly v_proj: Linear;

  constructor(
    readonly num_heads: number,
    readonly embed_dim: number,
    opts: ModuleOptions = {},
  ) {
    super();
    if (embed_dim % num_heads !== 0) throw new Error(`AttentionPooling: ${embed_dim} channels do not split into ${num_heads} heads`);
    const dtype = opts.dtype ?? get_default_dtype();
    this.positional_embedding = this.register_parameter('positional_embedding', normal([1, embed_dim], embed_dim ** -0.5, generatorOf(opts), dtype));
    this.k_proj = this.add_module('k_proj', new Linear(embed_dim, embed_dim, opts));
    this.q_proj = this.add_module('q_proj', new Linear(embed_dim, embed_dim, opts));
    this.v_proj = this.add_module('v_proj', new Linear(embed_dim, embed_dim, opts));
  }

  /** (B, S, W) -> (B*H, S, W/H), head h of sample b in row b*H + h. */
  private heads(t: Tensor): Tensor {
    const [b, s, w] = t.shape as [number, number, number];
    const h = this.num_heads;
    return reshape(permute(reshape(t, [b, s, h, w / h]), [0, 2, 1, 3]), [b * h, s, w / h]);
  }

  forward(x: Tensor): Tensor {
    const [b, , w] = x.shape as [number, number, number];
    const query = add(x.mean([1], true), this.positional_embedding); // (B, 1, W)
    const keys = cat([query, x], 1); // (B, L+1, W)
    const q = this.heads(this.q_proj.forward(query));
    const k = this.heads(this.k_proj.forward(keys));
    const v = this.heads(this.v_proj.forward(keys));
    const probs = softmax(mul(matmul(q, transpose(k, 1, 2)), (w / this.num_heads) ** -0.5), -1); // (B*H, 1, L+1)
    return reshape(matmul(probs, v), [b, w]); // heads concatenated in order
  }
}

/** LayerNorm -> AttentionPooling -> Linear -> LayerNorm: (B, L, encoder_dim) -> (B, time_embed_dim). */
export class TextTimeEmbedding extends Module {
  readonly norm1: LayerNorm;
  readonly pool: AttentionPooling;
  readonly proj: Linear;
  readonly norm2: LayerNorm;

  constructor(encoder_dim: number, time_embed_dim: number, num_heads: number, opts: ModuleOptions = {}) {
    super();
    this.norm1 = this.add_module('norm1', new LayerNorm(encoder_dim, opts));
    this.pool = this.add_module('pool', new AttentionPooling(num_heads, encoder_dim, opts));
    this.proj = this.add_module('proj', new Linear(encoder_dim, time_embed_dim, opts));
    this.norm2 = this.add_module('norm2', new LayerNorm(time_embed_dim, opts));
  }

  forward(encoder_hidden_states: Tensor): Tensor {
    return this.norm2.forward(this.proj.forward(this.pool.forward(this.norm1.forward(encoder_hidden_states))));
  }
}
