// diffusers' UNet blocks: DownBlock2D, CrossAttnDownBlock2D, UNetMidBlock2DCrossAttn, UpBlock2D,
// CrossAttnUpBlock2D. Down blocks return every resnet(+attention) output and the downsampler's
// output as skips; up blocks pop one skip per resnet and concatenate it on channels.
import { cat, type Tensor } from '../../core/index.js';
import { Module, ModuleList, type ModuleOptions } from '../module.js';
import { Downsample2D, ResnetBlock2D, Upsample2D, type TimeEmbeddingNorm } from './resnet.js';
import { Transformer2DModel } from './transformer_2d.js';

export interface BlockOptions extends ModuleOptions {
  num_layers: number;
  temb_channels: number;
  resnet_eps: number;
  resnet_groups: number;
  dropout?: number;
  output_scale_factor?: number;
  /** diffusers' resnet_time_scale_shift, each resnet's time_embedding_norm (default 'default'). */
  resnet_time_scale_shift?: TimeEmbeddingNorm;
}

export interface CrossAttnBlockOptions extends BlockOptions {
  cross_attention_dim: number;
  num_attention_heads: number;
  transformer_layers_per_block?: number;
  use_linear_projection?: boolean;
  only_cross_attention?: boolean;
}

/** What the UNet hands each block besides the feature map. */
export interface BlockContext {
  temb: Tensor;
  encoder_hidden_states?: Tensor | null;
  attention_mask?: Tensor | null;
  encoder_attention_mask?: Tensor | null;
}

export interface DownBlock extends Module {
  readonly resnets: ModuleList<ResnetBlock2D>;
  forward(hidden_states: Tensor, ctx: BlockContext): { hidden_states: Tensor; res_samples: Tensor[] };
}

export interface UpBlock extends Module {
  readonly resnets: ModuleList<ResnetBlock2D>;
  forward(hidden_states: Tensor, res_samples: readonly Tensor[], ctx: BlockContext, upsample_size?: readonly [number, number]): Tensor;
}

function resnet(in_channels: number, out_channels: number, o: BlockOptions): ResnetBlock2D {
  return new ResnetBlock2D(in_channels, {
    dtype: o.dtype,
    generator: o.generator,
    out_channels,
    temb_channels: o.temb_channels,
    groups: o.resnet_groups,
    eps: o.resnet_eps,
    dropout: o.dropout ?? 0,
    output_scale_factor: o.output_scale_factor ?? 1,
    time_embedding_norm: o.resnet_time_scale_shift ?? 'default',
  });
}

function transformer(channels: number, o: CrossAttnBlockOptions): Transformer2DModel {
  return new Transformer2DModel(o.num_attention_heads, channels / o.num_attention_heads, channels, {
    dtype: o.dtype,
    generator: o.generator,
    num_layers: o.transformer_layers_per_block ?? 1,
    cross_attention_dim: o.cross_attention_dim,
    norm_num_groups: o.resnet_groups,
    use_linear_projection: o.use_linear_projection ?? false,
    only_cross_attention: o.only_cross_attention ?? false,
  });
}

function checkHeads(channels: number, heads: number): void {
  if (channels % heads !== 0) throw new Error(`${channels} channels do not split into ${heads} attention heads`);
}

export class DownBlock2D extends Module implements DownBlock {
  readonly resnets: ModuleList<ResnetBlock2D>;
  readonly downsamplers: ModuleList<Downsample2D> | null;

  constructor(in_channels: number, out_channels: number, o: BlockOptions & { add_downsample: boolean; downsample_padding?: number }) {
    super();
    this.resnets = this.add_module('resnets', new ModuleList<ResnetBlock2D>());
    for (let i = 0; i < o.num_layers; i++) this.resnets.push(resnet(i === 0 ? in_channels : out_channels, out_channels, o));
    this.downsamplers = o.add_downsample
      ? this.add_module('downsamplers', new ModuleList([new Downsample2D(out_channels, { dtype: o.dtype, generator: o.generator, padding: o.downsample_padding ?? 1 })]))
      : null;
  }

  forward(hidden_states: Tensor, ctx: BlockContext): { hidden_states: Tensor; res_samples: Tensor[] } {
    let h = hidden_states;
    const res_samples: Tensor[] = [];
    for (const r of this.resnets) {
      h = r.forward(h, ctx.temb);
      res_samples.push(h);
    }
    for (const d of this.downsamplers ?? []) {
      h = d.forward(h);
      res_samples.push(h);
    }
    return { hidden_states: h, res_samples };
  }
}

export class CrossAttnDownBlock2D extends Module implements DownBlock {
  readonly attentions: ModuleList<Transformer2DModel>;
  readonly resnets: ModuleList<ResnetBlock2D>;
  readonly downsamplers: ModuleList<Downsample2D> | null;

  constructor(in_channels: number, out_channels: number, o: CrossAttnBlockOptions & { add_downsample: boolean; downsample_padding?: number }) {
    super();
    checkHeads(out_channels, o.num_attention_heads);
    // diffusers registers attentions before resnets; the state dict keeps that order
    this.attentions = this.add_module('attentions', new ModuleList<Transformer2DModel>());
    this.resnets = this.add_module('resnets', new ModuleList<ResnetBlock2D>());
    for (let i = 0; i < o.num_layers; i++) {
      this.resnets.push(resnet(i === 0 ? in_channels : out_channels, out_channels, o));
      this.attentions.push(transformer(out_channels, o));
    }
    this.downsamplers = o.add_downsample
      ? this.add_module('downsamplers', new ModuleList([new Downsample2D(out_channels, { dtype: o.dtype, generator: o.generator, padding: o.downsample_padding ?? 1 })]))
      : null;
  }

  forward(hidden_states: Tensor, ctx: BlockContext): { hidden_states: Tensor; res_samples: Tensor[] } {
    let h = hidden_states;
    const res_samples: Tensor[] = [];
    for (let i = 0; i < this.resnets.length; i++) {
      h = this.resnets.at(i).forward(h, ctx.temb);
      h = this.attentions.at(i).forward(h, ctx.encoder_hidden_states, ctx.attention_mask, ctx.encoder_attention_mask);
      res_samples.push(h);
    }
    for (const d of this.downsamplers ?? []) {
      h = d.forward(h);
      res_samples.push(h);
    }
    return { hidden_states: h, res_samples };
  }
}

/** resnets.0, then (attentions.i, resnets.i+1) per layer, all at in_channels. */
export class UNetMidBlock2DCrossAttn extends Module {
  readonly attentions: ModuleList<Transformer2DModel>;
  readonly resnets: ModuleList<ResnetBlock2D>;

  constructor(in_channels: number, o: CrossAttnBlockOptions) {
    super();
    checkHeads(in_channels, o.num_attention_heads);
    this.attentions = this.add_module('attentions', new ModuleList<Transformer2DModel>());
    this.resnets = this.add_module('resnets', new ModuleList<ResnetBlock2D>());
    this.resnets.push(resnet(in_channels, in_channels, o));
    for (let i = 0; i < o.num_layers; i++) {
      this.attentions.push(transformer(in_channels, o));
      this.resnets.push(resnet(in_channels, in_channels, o));
    }
  }

  forward(hidden_states: Tensor, ctx: BlockContext): Tensor {
    let h = this.resnets.at(0).forward(hidden_states, ctx.temb);
    for (let i = 0; i < this.attentions.length; i++) {
      h = this.attentions.at(i).forward(h, ctx.encoder_hidden_states, ctx.attention_mask, ctx.encoder_attention_mask);
      h = this.resnets.at(i + 1).forward(h, ctx.temb);
    }
    return h;
  }
}

interface UpBlockShape {
  /** Channels of the matching down block's input (the skip of the last resnet). */
  in_channels: number;
  prev_output_channel: number;
  out_channels: number;
  add_upsample: boolean;
}

/** Resnet j takes prev_output_channel (j = 0) or out_channels, plus the channels of the skip it pops. */
function upResnets(s: UpBlockShape, o: BlockOptions): ModuleList<ResnetBlock2D> {
  const list = new ModuleList<ResnetBlock2D>();
  for (let i = 0; i < o.num_layers; i++) {
    const skip = i === o.num_layers - 1 ? s.in_channels : s.out_channels;
    const input = i === 0 ? s.prev_output_channel : s.out_channels;
    list.push(resnet(input + skip, s.out_channels, o));
  }
  return list;
}

function popSkip(stack: Tensor[]): Tensor {
  const t = stack.pop();
  if (!t) throw new Error('up block ran out of skip connections');
  return t;
}

export class UpBlock2D extends Module implements UpBlock {
  readonly resnets: ModuleList<ResnetBlock2D>;
  readonly upsamplers: ModuleList<Upsample2D> | null;

  constructor(s: UpBlockShape, o: BlockOptions) {
    super();
    this.resnets = this.add_module('resnets', upResnets(s, o));
    this.upsamplers = s.add_upsample ? this.add_module('upsamplers', new ModuleList([new Upsample2D(s.out_channels, { dtype: o.dtype, generator: o.generator })])) : null;
  }

  forward(hidden_states: Tensor, res_samples: readonly Tensor[], ctx: BlockContext, upsample_size?: readonly [number, number]): Tensor {
    const skips = [...res_samples];
    let h = hidden_states;
    for (const r of this.resnets) h = r.forward(cat([h, popSkip(skips)], 1), ctx.temb);
    for (const u of this.upsamplers ?? []) h = u.forward(h, upsample_size);
    return h;
  }
}

export class CrossAttnUpBlock2D extends Module implements UpBlock {
  readonly attentions: ModuleList<Transformer2DModel>;
  readonly resnets: ModuleList<ResnetBlock2D>;
  readonly upsamplers: ModuleList<Upsample2D> | null;

  constructor(s: UpBlockShape, o: CrossAttnBlockOptions) {
    super();
    checkHeads(s.out_channels, o.num_attention_heads);
    this.attentions = this.add_module('attentions', new ModuleList<Transformer2DModel>());
    this.resnets = this.add_module('resnets', upResnets(s, o));
    for (let i = 0; i < o.num_layers; i++) this.attentions.push(transformer(s.out_channels, o));
    this.upsamplers = s.add_upsample ? this.add_module('upsamplers', new ModuleList([new Upsample2D(s.out_channels, { dtype: o.dtype, generator: o.generator })])) : null;
  }

  forward(hidden_states: Tensor, res_samples: readonly Tensor[], ctx: BlockContext, upsample_size?: readonly [number, number]): Tensor {
    const skips = [...res_samples];
    let h = hidden_states;
    for (let i = 0; i < this.resnets.length; i++) {
      h = this.resnets.at(i).forward(cat([h, popSkip(skips)], 1), ctx.temb);
      h = this.attentions.at(i).forward(h, ctx.encoder_hidden_states, ctx.attention_mask, ctx.encoder_attention_mask);
    }
    for (const u of this.upsamplers ?? []) h = u.forward(h, upsample_size);
    return h;
  }
}

export type DownBlockType = 'DownBlock2D' | 'CrossAttnDownBlock2D';
export type UpBlockType = 'UpBlock2D' | 'CrossAttnUpBlock2D';

export function get_down_block(
  type: DownBlockType,
  in_channels: number,
  out_channels: number,
  o: CrossAttnBlockOptions & { add_downsample: boolean; downsample_padding?: number },
): DownBlock {
  switch (type) {
    case 'DownBlock2D':
      return new DownBlock2D(in_channels, out_channels, o);
    case 'CrossAttnDownBlock2D':
      return new CrossAttnDownBlock2D(in_channels, out_channels, o);
    default:
      throw new Error(`unknown down block type "${String(type)}" (expected DownBlock2D or CrossAttnDownBlock2D)`);
  }
}

export function get_up_block(type: UpBlockType, s: UpBlockShape, o: CrossAttnBlockOptions): UpBlock {
  switch (type) {
    case 'UpBlock2D':
      return new UpBlock2D(s, o);
    case 'CrossAttnUpBlock2D':
      return new CrossAttnUpBlock2D(s, o);
    default:
      throw new Error(`unknown up block type "${String(type)}" (expected UpBlock2D or CrossAttnUpBlock2D)`);
  }
}
