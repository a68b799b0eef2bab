// A pretraining run's configuration as data: every field typed, with the defaults `bas pretrain`
// shows, and checked here, where a bad value is named by its field. The CLI and the scripts build
// runs through `pretrainConfig(overrides)`; a checkpoint keeps the configuration of the run that
// wrote it (recipeChanges compares them on resume).
import { UNET_CONFIGS, type UNetConfigName } from '../../nn/configs.js';
import { PADDING_MODES, type PaddingMode } from '../../nn/layers/conv2d.js';
import { TIME_EMBEDDING_NORMS, type TimeEmbeddingNorm } from '../../nn/unet/resnet.js';
import { InputError } from '../../bas/errors.js';
import { checkRanges, type Range } from '../../bas/ranges.js';
import { COLOUR_NAMES, PLACEMENTS, SHAPE_NAMES, TEXTURES, type ColourName, type ShapeName, type TextureName } from '../world/index.js';

/** The enumerated fields' allowed values. */
export const PRETRAIN_CHOICES = {
  lr_scheduler: ['constant_with_warmup', 'linear', 'cosine', 'warmup_stable_decay'],
  beta_schedule: ['linear', 'scaled_linear', 'squaredcos_cap_v2'],
  prediction_type: ['epsilon', 'v_prediction'],
  addition_embed_type: ['none', 'text'],
  placement: PLACEMENTS,
} as const;

export interface PretrainConfig {
  output_dir: string;
  config: UNetConfigName;
  /** Scene side; the world draws at multiples of 32. */
  resolution?: number | undefined;
  max_train_steps: number;
  train_batch_size: number;
  learning_rate: number;
  lr_warmup_steps: number;
  /** A function of the step alone, so resuming (even with a later end) is exact up to the decay. */
  lr_scheduler: (typeof PRETRAIN_CHOICES.lr_scheduler)[number];
  lr_decay_steps: number;
  adam_weight_decay: number;
  max_grad_norm: number;
  ema_decay: number;
  snr_gamma: number;
  /** Added to min(SNR, gamma), the weight of the x0 error: 1 keeps high-noise steps weighted (best with v-prediction). */
  snr_weight_floor: number;
  /**
   * Weight of the loss on object pixels relative to the background (1: plain MSE). Objects are a
   * few percent of a 32 px scene, and a shape differs from a blob of its colour in a few dozen
   * pixels, so plain MSE pays little for a wrong shape.
   */
  object_loss_weight: number;
  uncond_prob: number;
  /** Share of (non-empty) captions without their background phrase. */
  background_drop_prob: number;
  beta_schedule: (typeof PRETRAIN_CHOICES.beta_schedule)[number];
  /** What the UNet predicts: the noise, or v = sqrt(abar) eps - sqrt(1 - abar) x0 (whose MSE weighs high noise more). */
  prediction_type: (typeof PRETRAIN_CHOICES.prediction_type)[number];
  /** 'text': the pooled caption joins the time embedding (diffusers' addition_embed_type), so every ResNet block sees it. */
  addition_embed_type: (typeof PRETRAIN_CHOICES.addition_embed_type)[number];
  /** A fresh UNet's convs (unset: zeros): 'circular' wraps around the image, so no layer knows where the border is. */
  conv_padding_mode?: PaddingMode | undefined;
  /** A fresh UNet's resnets: 'scale_shift' lets the time embedding (and the pooled caption in it) scale each channel after norm2. */
  resnet_time_scale_shift?: TimeEmbeddingNorm | undefined;
  /** Background textures of the scenes (default: all the world has). */
  textures?: readonly TextureName[] | undefined;
  /** Shapes of the scenes (unset: all the world has); fewer, distinct shapes are a curriculum's first stage. */
  shapes?: readonly ShapeName[] | undefined;
  /** Colours of the objects (unset: all); one colour leaves the shape as the caption's only object word. */
  colours?: readonly ColourName[] | undefined;
  min_objects: number;
  max_objects: number;
  /** 'centre': the first object of every scene at the image centre (a diagnostic of issue 10: shape without position). */
  placement: (typeof PRETRAIN_CHOICES.placement)[number];
  /** With placement 'centre': the first object moves up to this many pixels (at 32x32) from mid-image. */
  placement_jitter?: number | undefined;
  /** The first N steps draw one object on a plain background (shape is then most of what the caption adds); the full world after. */
  curriculum_steps: number;
  seed: number;
  checkpointing_steps: number;
  sample_steps: number;
  resume_from_checkpoint?: string | undefined;
  /**
   * Start from this pipeline folder's weights (and its architecture) instead of a fresh init, with
   * a fresh optimizer, schedule and EMA: continued pretraining, e.g. with a new loss weighting.
   */
  pretrained_model_name_or_path?: string | undefined;
  /** A fresh UNet reads this folder's text_encoder/ and tokenizer/ (`bas pretrain-clip`) instead of a fresh encoder. */
  text_encoder_name_or_path?: string | undefined;
  /** Keep the text encoder's weights fixed, as Stable Diffusion keeps its CLIP. */
  freeze_text_encoder?: boolean | undefined;
  backend?: string | undefined;
}

/**
 * Every field with a default, in the order of `bas pretrain --help` (a checkpoint's state.json
 * lists them in this order); the optional fields are unset unless given.
 */
export const PRETRAIN_DEFAULTS = {
  output_dir: 'outputs/pretrain',
  config: 'default',
  max_train_steps: 3900,
  train_batch_size: 16,
  learning_rate: 1e-3,
  lr_warmup_steps: 200,
  lr_scheduler: 'warmup_stable_decay',
  lr_decay_steps: 1200,
  adam_weight_decay: 1e-2,
  max_grad_norm: 1.0,
  ema_decay: 0.999,
  snr_gamma: 5,
  snr_weight_floor: 0,
  object_loss_weight: 1,
  uncond_prob: 0.1,
  background_drop_prob: 0.5,
  beta_schedule: 'linear',
  prediction_type: 'epsilon',
  addition_embed_type: 'none',
  textures: TEXTURES,
  min_objects: 1,
  max_objects: 2,
  placement: 'anywhere',
  curriculum_steps: 0,
  seed: 0,
  checkpointing_steps: 250,
  sample_steps: 500,
  freeze_text_encoder: false,
} as const satisfies PretrainConfig;

const OPTIONAL_FIELDS = ['shapes', 'colours', 'placement_jitter', 'conv_padding_mode', 'resnet_time_scale_shift', 'resolution', 'resume_from_checkpoint', 'pretrained_model_name_or_path', 'text_encoder_name_or_path', 'backend'] as const;
const KNOWN_FIELDS: ReadonlySet<string> = new Set([...Object.keys(PRETRAIN_DEFAULTS), ...OPTIONAL_FIELDS]);

/** The range of every numeric field (the resolution's, multiples of 32, is checked where scenes are drawn). */
const PRETRAIN_RANGES: Partial<Record<keyof PretrainConfig, Range>> = {
  train_batch_size: 'at least 1',
  min_objects: 'at least 1',
  max_objects: 'at least 1',
  max_train_steps: '>= 0',
  lr_warmup_steps: '>= 0',
  lr_decay_steps: '>= 0',
  curriculum_steps: '>= 0',
  checkpointing_steps: '>= 0',
  sample_steps: '>= 0',
  learning_rate: '>= 0',
  adam_weight_decay: '>= 0',
  snr_gamma: '>= 0',
  snr_weight_floor: '>= 0',
  object_loss_weight: '> 0',
  max_grad_norm: '> 0',
  ema_decay: '[0, 1]',
  uncond_prob: '[0, 1]',
  background_drop_prob: '[0, 1]',
  placement_jitter: '>= 0',
};

/** The defaults with `overrides` on top, checked; an override of `undefined` keeps the default. */
export function pretrainConfig(overrides: Partial<PretrainConfig> = {}): PretrainConfig {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const config = { ...PRETRAIN_DEFAULTS, textures: [...PRETRAIN_DEFAULTS.textures], ...given } as PretrainConfig;
  validatePretrainConfig(config);
  return config;
}

/** Enums, textures and the starting points that exclude each other, each failure naming its field. */
export function validatePretrainConfig(c: PretrainConfig): void {
  // an unknown key is a misspelt field, which would otherwise be ignored (and kept in checkpoints)
  const unknown = Object.keys(c).find((k) => !KNOWN_FIELDS.has(k));
  if (unknown !== undefined) throw new InputError(`unknown pretraining config field "${unknown}"`);
  if (!Object.hasOwn(UNET_CONFIGS, c.config)) throw new InputError((n) => `${n('config')} must be one of ${Object.keys(UNET_CONFIGS).join(', ')}, got "${c.config}"`);
  for (const [k, allowed] of Object.entries(PRETRAIN_CHOICES) as [keyof typeof PRETRAIN_CHOICES, readonly string[]][]) {
    if (!allowed.includes(c[k])) throw new InputError((n) => `${n(k)} must be one of ${allowed.join(', ')}, got "${c[k]}"`);
  }
  checkRanges(c, PRETRAIN_RANGES);
  // also checked where the scenes are drawn; here it fails before the output folder is made
  if (c.resolution !== undefined && !(c.resolution > 0 && c.resolution % 32 === 0)) throw new InputError((n) => `${n('resolution')}: the world draws scenes at multiples of 32 pixels, got ${c.resolution}`);
  if (c.max_objects < c.min_objects) throw new InputError((n) => `${n('max_objects')} ${c.max_objects} is below ${n('min_objects')} ${c.min_objects}`);
  const unknownTexture = c.textures?.find((t) => !(TEXTURES as readonly string[]).includes(t));
  if (unknownTexture !== undefined) throw new InputError((n) => `${n('textures')}: unknown texture "${unknownTexture}" (known: ${TEXTURES.join(', ')})`);
  const unknownShape = c.shapes?.find((s) => !(SHAPE_NAMES as readonly string[]).includes(s));
  if (unknownShape !== undefined) throw new InputError((n) => `${n('shapes')}: unknown shape "${unknownShape}" (known: ${SHAPE_NAMES.join(', ')})`);
  if (c.shapes !== undefined && c.shapes.length === 0) throw new InputError((n) => `${n('shapes')}: give at least one shape`);
  const unknownColour = c.colours?.find((k) => !COLOUR_NAMES.includes(k));
  if (unknownColour !== undefined) throw new InputError((n) => `${n('colours')}: unknown colour "${unknownColour}" (known: ${COLOUR_NAMES.join(', ')})`);
  if (c.colours !== undefined && new Set(c.colours).size !== c.colours.length) throw new InputError((n) => `${n('colours')}: a colour is listed twice (${c.colours!.join(' ')})`);
  if (c.colours !== undefined && c.colours.length < c.max_objects) {
    throw new InputError((n) => `${n('colours')}: ${n('max_objects')} ${c.max_objects} needs as many colours (objects get distinct ones), got ${c.colours!.length}`);
  }
  if (c.resnet_time_scale_shift !== undefined && !TIME_EMBEDDING_NORMS.includes(c.resnet_time_scale_shift)) {
    throw new InputError((n) => `${n('resnet_time_scale_shift')} must be one of ${TIME_EMBEDDING_NORMS.join(', ')}, got "${c.resnet_time_scale_shift}"`);
  }
  if (c.conv_padding_mode !== undefined && !(PADDING_MODES as readonly string[]).includes(c.conv_padding_mode)) {
    throw new InputError((n) => `${n('conv_padding_mode')} must be one of ${PADDING_MODES.join(', ')}, got "${c.conv_padding_mode}"`);
  }
  if (c.placement_jitter !== undefined && c.placement_jitter > 0 && c.placement !== 'centre') {
    throw new InputError((n) => `${n('placement_jitter')} moves the centred object, so it needs ${n('placement')} centre (got ${c.placement})`);
  }
  if (c.text_encoder_name_or_path !== undefined && c.pretrained_model_name_or_path !== undefined) {
    throw new InputError((n) => `${n('text_encoder_name_or_path')} and ${n('pretrained_model_name_or_path')}: the pipeline folder brings its own text encoder; give one of them`);
  }
}
