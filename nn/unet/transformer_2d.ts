// diffusers' Transformer2DModel for continuous (image) input: GroupNorm, proj_in, a stack of
// BasicTransformerBlocks over the H*W tokens, proj_out, and the residual around all of it.
import { add, permute, reshape, type Tensor } from '../../core/index.js';
import { BasicTransformerBlock } from '../attention.js';
import { Conv2d } from '../layers/conv2d.js';
import { Linear } from '../layers/linear.js';
import { GroupNorm } from '../layers/norm.js';
import { Module, ModuleList, type ModuleOptions } from '../module.js';

export interface Transformer2DModelOptions extends ModuleOptions {
  num_layers?: number;
  dropout?: number;
  norm_num_groups?: number;
  cross_attention_dim?: number | null;
  attention_bias?: boolean;
  /** Linear proj_in/proj_out on tokens instead of 1x1 convs on the grid (SD 2.x uses linear). */
  use_linear_projection?: boolean;
  only_cross_attention?: boolean;
}

export class Transformer2DModel extends Module {
  readonly in_channels: number;
  readonly inner_dim: number;
  readonly use_linear_projection: boolean;
  readonly norm: GroupNorm;
  readonly proj_in: Linear | Conv2d;
  readonly transformer_blocks: ModuleList<BasicTransformerBlock>;
  readonly proj_out: Linear | Conv2d;

  constructor(num_attention_heads: number, attention_head_dim: number, in_channels: number, opts: Transformer2DModelOptions = {}) {
    super();
    const base = { dtype: opts.dtype, generator: opts.generator };
    const inner = num_attention_heads * attention_head_dim;
    this.in_channels = in_channels;
    this.inner_dim = inner;
    this.use_linear_projection = opts.use_linear_projection ?? false;
    this.norm = this.add_module('norm', new GroupNorm(opts.norm_num_groups ?? 32, in_channels, { ...base, eps: 1e-6 }));
    this.proj_in = this.add_module('proj_in', this.use_linear_projection ? new Linear(in_channels, inner, base) : new Conv2d(in_channels, inner, 1, base));
    this.transformer_blocks = this.add_module('transformer_blocks', new ModuleList<BasicTransformerBlock>());
    for (let i = 0; i < (opts.num_layers ?? 1); i++) {
      this.transformer_blocks.push(
        new BasicTransformerBlock(inner, num_attention_heads, attention_head_dim, {
          ...base,
          dropout: opts.dropout ?? 0,
          cross_attention_dim: opts.cross_attention_dim ?? null,
          attention_bias: opts.attention_bias ?? false,
          only_cross_attention: opts.only_cross_attention ?? false,
        }),
      );
    }
    this.proj_out = this.add_module('proj_out', this.use_linear_projection ? new Linear(inner, in_channels, base) : new Conv2d(inner, in_channels, 1, base));
  }

  /** hidden_states (B, C, H, W) -> same shape. */
  forward(hidden_states: Tensor, encoder_hidden_states?: Tensor | null, attention_mask?: Tensor | null, encoder_attention_mask?: Tensor | null): Tensor {
    const [b, , h, w] = hidden_states.shape as [number, number, number, number];
    const toTokens = (t: Tensor): Tensor => reshape(permute(t, [0, 2, 3, 1]), [b, h * w, t.dim(1)]);
    const toGrid = (t: Tensor): Tensor => permute(reshape(t, [b, h, w, t.dim(2)]), [0, 3, 1, 2]);
    let x = this.norm.forward(hidden_states);
    x = this.proj_in instanceof Linear ? this.proj_in.forward(toTokens(x)) : toTokens(this.proj_in.forward(x));
    for (const block of this.transformer_blocks) x = block.forward(x, encoder_hidden_states, attention_mask, encoder_attention_mask);
    x = this.proj_out instanceof Linear ? toGrid(this.proj_out.forward(x)) : this.proj_out.forward(toGrid(x));
    return add(x, hidden_states);
  }
}
