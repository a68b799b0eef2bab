// diffusers' ResnetBlock2D, Downsample2D and Upsample2D (the variants SD uses).
import { add, chunk, div, interpolate, mul, reshape, silu, type Tensor } from '../../core/index.js';
import { Conv2d } from '../layers/conv2d.js';
import { Dropout } from '../layers/dropout.js';
import { Linear } from '../layers/linear.js';
import { GroupNorm } from '../layers/norm.js';
import { Module, type ModuleOptions } from '../module.js';

export interface ResnetBlock2DOptions extends ModuleOptions {
  out_channels?: number;
  /** Width of the time embedding; null: no time_emb_proj. */
  temb_channels?: number | null;
  groups?: number;
  groups_out?: number;
  eps?: number;
  dropout?: number;
  output_scale_factor?: number;
  /** How the time embedding enters: 'default' adds it before norm2; 'scale_shift' (diffusers'
   * time_embedding_norm, as DeepFloyd IF's pixel-space UNet uses) projects it to a per-channel
   * scale and shift applied after norm2, so the embedding (with the pooled caption in it) can gate
   * channels rather than only offset them. */
  time_embedding_norm?: TimeEmbeddingNorm;
}

export const TIME_EMBEDDING_NORMS = ['default', 'scale_shift'] as const;
export type TimeEmbeddingNorm = (typeof TIME_EMBEDDING_NORMS)[number];

/**
 * norm1 -> SiLU -> conv1, plus time_emb_proj(SiLU(temb)) broadcast over H and W; norm2 -> SiLU ->
 * dropout -> conv2; a 1x1 conv_shortcut when the channel count changes; (x + h) / scale. With
 * 'scale_shift' the projection is twice as wide and gives norm2(h) * (1 + scale) + shift instead.
 */
export class ResnetBlock2D extends Module {
  readonly in_channels: number;
  readonly out_channels: number;
  readonly output_scale_factor: number;
  readonly time_embedding_norm: TimeEmbeddingNorm;
  readonly norm1: GroupNorm;
  readonly conv1: Conv2d;
  readonly time_emb_proj: Linear | null;
  readonly norm2: GroupNorm;
  readonly dropout: Dropout;
  readonly conv2: Conv2d;
  readonly conv_shortcut: Conv2d | null;

  constructor(in_channels: number, opts: ResnetBlock2DOptions = {}) {
    super();
    const out = opts.out_channels ?? in_channels;
    const groups = opts.groups ?? 32;
    const eps = opts.eps ?? 1e-6;
    const base = { dtype: opts.dtype, generator: opts.generator };
    this.in_channels = in_channels;
    this.out_channels = out;
    this.output_scale_factor = opts.output_scale_factor ?? 1;
    this.time_embedding_norm = opts.time_embedding_norm ?? 'default';
    this.norm1 = this.add_module('norm1', new GroupNorm(groups, in_channels, { ...base, eps }));
    this.conv1 = this.add_module('conv1', new Conv2d(in_channels, out, 3, { ...base, padding: 1 }));
    const temb = opts.temb_channels === undefined ? 512 : opts.temb_channels;
    this.time_emb_proj = temb !== null ? this.add_module('time_emb_proj', new Linear(temb, this.time_embedding_norm === 'scale_shift' ? 2 * out : out, base)) : null;
    this.norm2 = this.add_module('norm2', new GroupNorm(opts.groups_out ?? groups, out, { ...base, eps }));
    this.dropout = this.add_module('dropout', new Dropout(opts.dropout ?? 0));
    this.conv2 = this.add_module('conv2', new Conv2d(out, out, 3, { ...base, padding: 1 }));
    this.conv_shortcut = in_channels !== out ? this.add_module('conv_shortcut', new Conv2d(in_channels, out, 1, base)) : null;
  }

  forward(input: Tensor, temb: Tensor | null): Tensor {
    let h = this.conv1.forward(silu(this.norm1.forward(input)));
    // as diffusers: the scale and shift have no meaning without an embedding
    if (this.time_embedding_norm === 'scale_shift' && !(this.time_emb_proj && temb)) throw new Error("ResnetBlock2D: time_embedding_norm 'scale_shift' needs temb and temb_channels");
    const t = this.time_emb_proj && temb ? this.time_emb_proj.forward(silu(temb)) : null;
    const t4 = t ? reshape(t, [t.dim(0), t.dim(1), 1, 1]) : null;
    if (t4 && this.time_embedding_norm === 'default') h = add(h, t4);
    h = this.norm2.forward(h);
    if (t4 && this.time_embedding_norm === 'scale_shift') {
      const [scale, shift] = chunk(t4, 2, 1) as [Tensor, Tensor];
      h = add(mul(h, add(scale, 1)), shift);
    }
    h = this.conv2.forward(this.dropout.forward(silu(h)));
    const x = this.conv_shortcut ? this.conv_shortcut.forward(input) : input;
    const out = add(x, h);
    return this.output_scale_factor === 1 ? out : div(out, this.output_scale_factor);
  }
}

/** 3x3 conv, stride 2, padding 1 (key `downsamplers.0.conv`). */
export class Downsample2D extends Module {
  readonly conv: Conv2d;

  constructor(channels: number, opts: ModuleOptions & { out_channels?: number; padding?: number } = {}) {
    super();
    const base = { dtype: opts.dtype, generator: opts.generator };
    this.conv = this.add_module('conv', new Conv2d(channels, opts.out_channels ?? channels, 3, { ...base, stride: 2, padding: opts.padding ?? 1 }));
  }

  forward(x: Tensor): Tensor {
    return this.conv.forward(x);
  }
}

/** Nearest x2 (or to output_size) then a 3x3 conv (key `upsamplers.0.conv`). */
export class Upsample2D extends Module {
  readonly conv: Conv2d;

  constructor(channels: number, opts: ModuleOptions & { out_channels?: number } = {}) {
    super();
    const base = { dtype: opts.dtype, generator: opts.generator };
    this.conv = this.add_module('conv', new Conv2d(channels, opts.out_channels ?? channels, 3, { ...base, padding: 1 }));
  }

  forward(x: Tensor, output_size?: readonly [number, number]): Tensor {
    const up = output_size ? interpolate(x, { size: [output_size[0], output_size[1]] }) : interpolate(x, { scale_factor: 2 });
    return this.conv.forward(up);
  }
}
