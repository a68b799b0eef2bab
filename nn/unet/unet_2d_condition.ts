// diffusers' UNet2DConditionModel, built from a config with diffusers' keys. Enumeration order of
// children (conv_in, time_proj, time_embedding, down_blocks, up_blocks, mid_block, conv_norm_out,
// conv_out) follows diffusers' constructor, so state dicts and attn_processors list keys alike.
import { add, mul, reshape, silu, sub, Tensor } from '../../core/index.js';
import { TIME_EMBEDDING_NORMS, type TimeEmbeddingNorm } from './resnet.js';
import { attnProcessorsOf, setAttnProcessorOf, type AttentionProcessor } from '../attention_processor.js';
import { Conv2d, type PaddingMode } from '../layers/conv2d.js';
import { GroupNorm } from '../layers/norm.js';
import { Module, ModuleList, type ModuleOptions } from '../module.js';
import { TimestepEmbedding, Timesteps } from './embeddings.js';
import { TextTimeEmbedding } from './text_time_embedding.js';
import { get_down_block, get_up_block, UNetMidBlock2DCrossAttn, type BlockContext, type DownBlock, type DownBlockType, type UpBlock, type UpBlockType } from './unet_blocks.js';

/** diffusers' config keys (the subset this architecture uses), fully resolved. */
export interface UNet2DConditionConfig {
  sample_size: number | null;
  in_channels: number;
  out_channels: number;
  center_input_sample: boolean;
  flip_sin_to_cos: boolean;
  freq_shift: number;
  down_block_types: DownBlockType[];
  mid_block_type: 'UNetMidBlock2DCrossAttn';
  up_block_types: UpBlockType[];
  only_cross_attention: boolean | boolean[];
  block_out_channels: number[];
  layers_per_block: number | number[];
  downsample_padding: number;
  mid_block_scale_factor: number;
  dropout: number;
  act_fn: 'silu';
  norm_num_groups: number;
  norm_eps: number;
  cross_attention_dim: number | number[];
  transformer_layers_per_block: number | number[];
  /** For historical reasons this is the number of heads (diffusers' naming). */
  attention_head_dim: number | number[];
  use_linear_projection: boolean;
  upcast_attention: boolean;
  /** 'scale_shift': the time embedding scales and shifts each resnet's normalised features (DeepFloyd IF). */
  resnet_time_scale_shift: TimeEmbeddingNorm;
  conv_in_kernel: number;
  conv_out_kernel: number;
  /** "text": the pooled caption is added to the time embedding (TextTimeEmbedding); null: cross-attention only. */
  addition_embed_type: 'text' | null;
  addition_embed_type_num_heads: number;
  /** Not a diffusers key: 'circular' makes every padded conv wrap around the image (PyTorch's
   * padding_mode), so no layer can tell where the border is and a shape learned at one place is
   * drawn alike at every shift of 2^levels pixels (issue 10's position lever). Default 'zeros'. */
  conv_padding_mode: PaddingMode;
}

export type UNet2DConditionConfigInput = Partial<UNet2DConditionConfig>;

/** diffusers' defaults (SD 1.x sizes); the project's named configs override most of them. */
export const UNET_DEFAULTS: UNet2DConditionConfig = {
  sample_size: null,
  in_channels: 4,
  out_channels: 4,
  center_input_sample: false,
  flip_sin_to_cos: true,
  freq_shift: 0,
  down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
  mid_block_type: 'UNetMidBlock2DCrossAttn',
  up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
  only_cross_attention: false,
  block_out_channels: [320, 640, 1280, 1280],
  layers_per_block: 2,
  downsample_padding: 1,
  mid_block_scale_factor: 1,
  dropout: 0,
  act_fn: 'silu',
  norm_num_groups: 32,
  norm_eps: 1e-5,
  cross_attention_dim: 1280,
  transformer_layers_per_block: 1,
  attention_head_dim: 8,
  use_linear_projection: false,
  upcast_attention: false,
  resnet_time_scale_shift: 'default',
  conv_in_kernel: 3,
  conv_out_kernel: 3,
  addition_embed_type: null,
  addition_embed_type_num_heads: 64,
  conv_padding_mode: 'zeros',
};

const KNOWN_KEYS = new Set(Object.keys(UNET_DEFAULTS));

/** Fills defaults and rejects keys or values this implementation does not know. */
export function resolveUNetConfig(input: UNet2DConditionConfigInput): UNet2DConditionConfig {
  const unknown = Object.keys(input).filter((k) => !KNOWN_KEYS.has(k) && !k.startsWith('_'));
  if (unknown.length) throw new Error(`UNet2DConditionModel: unknown config keys ${unknown.join(', ')}`);
  const defined = Object.fromEntries(Object.entries(input).filter(([k, v]) => v !== undefined && !k.startsWith('_')));
  const c: UNet2DConditionConfig = structuredClone({ ...UNET_DEFAULTS, ...defined });
  const n = c.block_out_channels.length;
  if (c.down_block_types.length !== n || c.up_block_types.length !== n) {
    throw new Error(`UNet2DConditionModel: ${n} block_out_channels need ${n} down and up block types (got ${c.down_block_types.length} and ${c.up_block_types.length})`);
  }
  if (c.mid_block_type !== 'UNetMidBlock2DCrossAttn') throw new Error(`mid_block_type "${String(c.mid_block_type)}" is not supported`);
  if (c.act_fn !== 'silu') throw new Error(`act_fn "${String(c.act_fn)}" is not supported`);
  if (!TIME_EMBEDDING_NORMS.includes(c.resnet_time_scale_shift)) throw new Error(`resnet_time_scale_shift "${String(c.resnet_time_scale_shift)}" is not supported (${TIME_EMBEDDING_NORMS.map((v) => `"${v}"`).join(' or ')})`);
  if (c.addition_embed_type !== null && c.addition_embed_type !== 'text') throw new Error(`addition_embed_type "${String(c.addition_embed_type)}" is not supported (null or "text")`);
  if (c.conv_padding_mode !== 'zeros' && c.conv_padding_mode !== 'circular') throw new Error(`conv_padding_mode "${String(c.conv_padding_mode)}" is not supported ("zeros" or "circular")`);
  if (c.upcast_attention) throw new Error('upcast_attention is not supported (float32 softmax is already the computation dtype)');
  return c;
}

function perBlock<T>(v: T | T[], n: number, key: string): T[] {
  if (!Array.isArray(v)) return new Array<T>(n).fill(v);
  if (v.length !== n) throw new Error(`config ${key} has ${v.length} entries for ${n} blocks`);
  return [...v];
}

export interface UNetForwardOptions {
  /** (B, T): 1 keeps an encoder token, 0 hides it from cross-attention. */
  encoder_attention_mask?: Tensor | null;
}

export class UNet2DConditionModel extends Module {
  readonly config: Readonly<UNet2DConditionConfig>;
  readonly conv_in: Conv2d;
  readonly time_proj: Timesteps;
  readonly time_embedding: TimestepEmbedding;
  readonly add_embedding: TextTimeEmbedding | null;
  readonly down_blocks: ModuleList<DownBlock>;
  readonly up_blocks: ModuleList<UpBlock>;
  readonly mid_block: UNetMidBlock2DCrossAttn;
  readonly conv_norm_out: GroupNorm;
  readonly conv_out: Conv2d;
  readonly num_upsamplers: number;

  constructor(config: UNet2DConditionConfigInput, opts: ModuleOptions = {}) {
    super();
    const c = resolveUNetConfig(config);
    this.config = Object.freeze(c);
    const base = { dtype: opts.dtype, generator: opts.generator };
    const ch = c.block_out_channels;
    const n = ch.length;
    const heads = perBlock(c.attention_head_dim, n, 'attention_head_dim');
    const layers = perBlock(c.layers_per_block, n, 'layers_per_block');
    const cross = perBlock(c.cross_attention_dim, n, 'cross_attention_dim');
    const tlayers = perBlock(c.transformer_layers_per_block, n, 'transformer_layers_per_block');
    const onlyCross = perBlock(c.only_cross_attention, n, 'only_cross_attention');
    const temb = ch[0]! * 4;
    const common = {
      ...base,
      temb_channels: temb,
      resnet_eps: c.norm_eps,
      resnet_groups: c.norm_num_groups,
      resnet_time_scale_shift: c.resnet_time_scale_shift,
      dropout: c.dropout,
      use_linear_projection: c.use_linear_projection,
    };

    this.conv_in = this.add_module('conv_in', new Conv2d(c.in_channels, ch[0]!, c.conv_in_kernel, { ...base, padding: (c.conv_in_kernel - 1) / 2 }));
    this.time_proj = this.add_module('time_proj', new Timesteps(ch[0]!, c.flip_sin_to_cos, c.freq_shift));
    this.time_embedding = this.add_module('time_embedding', new TimestepEmbedding(ch[0]!, temb, base));
    this.add_embedding =
      c.addition_embed_type === 'text' ? this.add_module('add_embedding', new TextTimeEmbedding(cross[0]!, temb, c.addition_embed_type_num_heads, base)) : null;
    this.down_blocks = this.add_module('down_blocks', new ModuleList<DownBlock>());
    this.up_blocks = this.add_module('up_blocks', new ModuleList<UpBlock>());

    let out = ch[0]!;
    c.down_block_types.forEach((type, i) => {
      const input = out;
      out = ch[i]!;
      this.down_blocks.push(
        get_down_block(type, input, out, {
          ...common,
          num_layers: layers[i]!,
          add_downsample: i < n - 1,
          downsample_padding: c.downsample_padding,
          cross_attention_dim: cross[i]!,
          num_attention_heads: heads[i]!,
          transformer_layers_per_block: tlayers[i]!,
          only_cross_attention: onlyCross[i]!,
        }),
      );
    });

    this.mid_block = this.add_module(
      'mid_block',
      new UNetMidBlock2DCrossAttn(ch[n - 1]!, {
        ...common,
        num_layers: 1,
        output_scale_factor: c.mid_block_scale_factor,
        cross_attention_dim: cross[n - 1]!,
        num_attention_heads: heads[n - 1]!,
        transformer_layers_per_block: tlayers[n - 1]!,
      }),
    );

    const rev = <T>(a: T[]): T[] => [...a].reverse();
    const [rch, rheads, rlayers, rcross, rtl, ronly] = [rev(ch), rev(heads), rev(layers), rev(cross), rev(tlayers), rev(onlyCross)];
    let upsamplers = 0;
    out = rch[0]!;
    c.up_block_types.forEach((type, i) => {
      const prev = out;
      out = rch[i]!;
      const add_upsample = i < n - 1;
      if (add_upsample) upsamplers++;
      this.up_blocks.push(
        get_up_block(
          type,
          { in_channels: rch[Math.min(i + 1, n - 1)]!, prev_output_channel: prev, out_channels: out, add_upsample },
          {
            ...common,
            num_layers: rlayers[i]! + 1,
            cross_attention_dim: rcross[i]!,
            num_attention_heads: rheads[i]!,
            transformer_layers_per_block: rtl[i]!,
            only_cross_attention: ronly[i]!,
          },
        ),
      );
    });
    this.num_upsamplers = upsamplers;

    this.conv_norm_out = this.add_module('conv_norm_out', new GroupNorm(c.norm_num_groups, ch[0]!, { ...base, eps: c.norm_eps }));
    this.conv_out = this.add_module('conv_out', new Conv2d(ch[0]!, c.out_channels, c.conv_out_kernel, { ...base, padding: (c.conv_out_kernel - 1) / 2 }));
    for (const m of this.modules()) if (m instanceof Conv2d) m.padding_mode = c.conv_padding_mode;
  }

  get dtype(): Tensor['dtype'] {
    return this.conv_in.weight.dtype;
  }

  /**
   * sample (B, in_channels, H, W); timestep a number, B numbers, or a tensor of shape [] or [B];
   * encoder_hidden_states (B, T, cross_attention_dim). Returns the prediction, same shape as sample.
   */
  forward(sample: Tensor, timestep: number | readonly number[] | Tensor, encoder_hidden_states: Tensor, opts: UNetForwardOptions = {}): { sample: Tensor } {
    const b = sample.dim(0);
    const factor = 2 ** this.num_upsamplers;
    // an odd-sized grid cannot be undone by x2 upsampling: pass explicit sizes up the path
    const forwardUpsampleSize = sample.shape.slice(-2).some((s) => s % factor !== 0);

    let mask: Tensor | null = null;
    if (opts.encoder_attention_mask) {
      const m = opts.encoder_attention_mask;
      mask = reshape(mul(sub(1, m), -10000), [m.dim(0), 1, m.dim(1)]);
    }

    const ts = timestepList(timestep, b);
    let emb = this.time_embedding.forward(this.time_proj.forward(ts, sample.dtype));
    if (this.add_embedding) emb = add(emb, this.add_embedding.forward(encoder_hidden_states));
    const ctx: BlockContext = { temb: emb, encoder_hidden_states, encoder_attention_mask: mask };

    let h = this.config.center_input_sample ? sub(mul(sample, 2), 1) : sample;
    h = this.conv_in.forward(h);
    const skips: Tensor[] = [h];
    for (const block of this.down_blocks) {
      const r = block.forward(h, ctx);
      h = r.hidden_states;
      skips.push(...r.res_samples);
    }
    h = this.mid_block.forward(h, ctx);
    for (let i = 0; i < this.up_blocks.length; i++) {
      const block = this.up_blocks.at(i);
      const k = block.resnets.length;
      const res = skips.splice(skips.length - k, k);
      const last = skips[skips.length - 1];
      const size = i < this.up_blocks.length - 1 && forwardUpsampleSize && last ? ([last.dim(2), last.dim(3)] as const) : undefined;
      h = block.forward(h, res, ctx, size);
    }
    h = this.conv_out.forward(silu(this.conv_norm_out.forward(h)));
    return { sample: h };
  }

  /** Every attention processor, keyed as diffusers keys them (down blocks, up blocks, mid block). */
  get attn_processors(): Record<string, AttentionProcessor> {
    return attnProcessorsOf(this);
  }

  /** One processor for every layer, or a map that names every layer exactly (unknown or missing keys throw). */
  set_attn_processor(processor: AttentionProcessor | Record<string, AttentionProcessor>): void {
    setAttnProcessorOf(this, processor);
  }
}

function timestepList(t: number | readonly number[] | Tensor, batch: number): number[] {
  const vals = typeof t === 'number' ? [t] : t instanceof Tensor ? Array.from(t.data) : [...t];
  if (vals.length === 1) return new Array<number>(batch).fill(vals[0]!);
  if (vals.length !== batch) throw new Error(`UNet: ${vals.length} timesteps for a batch of ${batch}`);
  return vals;
}
