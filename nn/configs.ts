// The project's named model configs, as plain data with diffusers' / transformers' keys.
//
// UNet `default`: 32x32 RGB in pixel space, down to 16 and 8; attention (self + cross) only at
// 16x16 and 8x8 and in the mid block, where the token count stays <= 256. `default-64` adds one
// level on top (64 -> 32 -> 16 -> 8), attention still only at 16 and 8. `tiny` is for float64
// gradient checks: 8x8, channels (4, 8), two heads. use_linear_projection follows SD 2.1, the base
// model of Break-A-Scene. attention_head_dim is the number of heads (diffusers' naming).
import type { CLIPTextConfig } from './clip/text_model.js';
import { BOS_TOKEN, default_vocab_tokens, EOS_TOKEN } from './tokenizer/vocab.js';
import type { UNet2DConditionConfig } from './unet/unet_2d_condition.js';

type UNetPreset = Pick<
  UNet2DConditionConfig,
  | 'sample_size'
  | 'in_channels'
  | 'out_channels'
  | 'block_out_channels'
  | 'down_block_types'
  | 'up_block_types'
  | 'layers_per_block'
  | 'cross_attention_dim'
  | 'attention_head_dim'
  | 'norm_num_groups'
  | 'use_linear_projection'
> &
  Partial<Pick<UNet2DConditionConfig, 'only_cross_attention'>>;

export const UNET_CONFIGS = {
  default: {
    sample_size: 32,
    in_channels: 3,
    out_channels: 3,
    block_out_channels: [32, 64, 64],
    down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'],
    up_block_types: ['CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'UpBlock2D'],
    layers_per_block: 1,
    cross_attention_dim: 64,
    attention_head_dim: 4,
    norm_num_groups: 8,
    use_linear_projection: true,
  },
  // `default` with cross-attention (no self-attention: 1,024 tokens would cost 8x the step) at
  // 32x32 as well, so the caption reaches the level where a shape's outline is drawn (issue 10's
  // architecture lever; docs/base_model.md, runs A1/A2). diffusers' only_cross_attention, per block.
  xattn32: {
    sample_size: 32,
    in_channels: 3,
    out_channels: 3,
    block_out_channels: [32, 64, 64],
    down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'],
    up_block_types: ['CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
    only_cross_attention: [true, false, false],
    layers_per_block: 1,
    cross_attention_dim: 64,
    attention_head_dim: 4,
    norm_num_groups: 8,
    use_linear_projection: true,
  },
  'default-64': {
    sample_size: 64,
    in_channels: 3,
    out_channels: 3,
    block_out_channels: [32, 32, 64, 64],
    down_block_types: ['DownBlock2D', 'DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'],
    up_block_types: ['CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'UpBlock2D', 'UpBlock2D'],
    layers_per_block: 1,
    cross_attention_dim: 64,
    attention_head_dim: 4,
    norm_num_groups: 8,
    use_linear_projection: true,
  },
  tiny: {
    sample_size: 8,
    in_channels: 3,
    out_channels: 3,
    block_out_channels: [4, 8],
    down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D'],
    up_block_types: ['CrossAttnUpBlock2D', 'UpBlock2D'],
    layers_per_block: 1,
    cross_attention_dim: 8,
    attention_head_dim: 2,
    norm_num_groups: 2,
    use_linear_projection: true,
  },
} as const satisfies Record<string, UNetPreset>;

export type UNetConfigName = keyof typeof UNET_CONFIGS;

const VOCAB = default_vocab_tokens();
const BOS_ID = VOCAB.indexOf(BOS_TOKEN);
const EOS_ID = VOCAB.indexOf(EOS_TOKEN);

/**
 * Text encoders. `default` feeds the default UNets (hidden_size = cross_attention_dim = 64) and holds
 * prompts of up to 24 tokens with start and end. Its vocabulary is the project tokenizer's
 * (start and end last, as in CLIP; padding with the end token, as SD 1.x does); placeholder tokens
 * grow it through resize_token_embeddings.
 */
export const TEXT_ENCODER_CONFIGS = {
  default: {
    vocab_size: VOCAB.length,
    hidden_size: 64,
    intermediate_size: 256,
    num_hidden_layers: 4,
    num_attention_heads: 4,
    max_position_embeddings: 24,
    hidden_act: 'quick_gelu',
    layer_norm_eps: 1e-5,
    pad_token_id: EOS_ID,
    bos_token_id: BOS_ID,
    eos_token_id: EOS_ID,
  },
  tiny: {
    vocab_size: 16,
    hidden_size: 8,
    intermediate_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    max_position_embeddings: 8,
    hidden_act: 'quick_gelu',
    layer_norm_eps: 1e-5,
    pad_token_id: 15,
    bos_token_id: 14,
    eos_token_id: 15,
  },
} as const satisfies Record<string, Partial<CLIPTextConfig>>;

export type TextEncoderConfigName = keyof typeof TEXT_ENCODER_CONFIGS;

/** A mutable deep copy of a named UNet config (diffusers' keys; the rest take diffusers' defaults). */
export function unetConfig(name: UNetConfigName): Partial<UNet2DConditionConfig> {
  const c = UNET_CONFIGS[name];
  if (!c) throw new Error(`unknown UNet config "${String(name)}"; known: ${Object.keys(UNET_CONFIGS).join(', ')}`);
  return structuredClone(c) as unknown as Partial<UNet2DConditionConfig>;
}

export function textEncoderConfig(name: TextEncoderConfigName): Partial<CLIPTextConfig> {
  const c = TEXT_ENCODER_CONFIGS[name];
  if (!c) throw new Error(`unknown text encoder config "${String(name)}"; known: ${Object.keys(TEXT_ENCODER_CONFIGS).join(', ')}`);
  return { ...c };
}
