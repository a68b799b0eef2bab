// A Break-A-Scene training run's configuration as data: every field typed, defaulted as in
// Break-A-Scene's train.py (scaled to this project's model where the original's values assume
// Stable Diffusion at 512 px: resolution, batch size; with the shipped base model, the recipe
// measured for it: SHIPPED_MODEL_DEFAULTS), and checked here, where a bad value is
// named by its field. The CLI, the eval's variants and the tests all build runs through
// `trainConfig(overrides)`.
import type { ScheduleName } from '../../nn/optim/lr_schedule.js';
import { files } from '../../platform/platform.js';
import { InputError } from '../errors.js';
import { shippedBaseModel } from '../model.js';
import { checkRanges, type Range } from '../ranges.js';

/** The learning-rate schedules a training run may use (diffusers' names). */
export const TRAIN_LR_SCHEDULERS = ['constant', 'constant_with_warmup', 'linear', 'cosine', 'cosine_with_restarts', 'polynomial'] as const satisfies readonly ScheduleName[];

export interface TrainConfig {
  /** Folder with img.jpg|img.png and mask0.png ... */
  instance_data_dir: string;
  /** Number of concepts (masks) to extract. */
  num_of_assets: number;
  /** One vocabulary word per concept to initialise its token from (empty: random rows). */
  initializer_tokens: string[];
  /**
   * Learn the background as one more concept (the last token), its mask the complement of the
   * union of the given masks; its initializer word is "background" when the others have words.
   */
  extract_background: boolean;
  /** Template of the concept tokens (<asset> -> <asset0> ...). */
  placeholder_token: string;
  /** Textual-inversion steps (token embeddings only). */
  phase1_train_steps: number;
  /** Steps training the UNet (and text encoder) too. */
  phase2_train_steps: number;
  /** Where the model, metrics.jsonl, checkpoints and images go. */
  output_dir: string;
  /** Weight of the cross-attention loss. */
  lambda_attention: number;
  /** Resolution of the supervised attention maps (unset: the largest grid with attention). */
  attn_res?: number | undefined;
  no_prior_preservation: boolean;
  /** Class images folder (unset: OUTPUT_DIR/class_images). */
  class_data_dir?: string | undefined;
  class_prompt: string;
  /** Class images to generate once and reuse. */
  num_class_images: number;
  /** Batch size when generating class images. */
  sample_batch_size: number;
  prior_loss_weight: number;
  /** Plain diffusion loss instead of the masked one. */
  do_not_apply_masked_loss: boolean;
  /** Ablation: every prompt lists every concept, in order. */
  no_union_sampling: boolean;
  /**
   * Keep the second half of the (batch x heads) attention rows, as the original's store does,
   * instead of the instance samples by name (they differ only without prior preservation).
   */
  attention_store_quirk: boolean;
  /** Phase 2 trains UNet + token embeddings, not the whole text encoder. */
  no_train_text_encoder: boolean;
  /** Phase-2 learning rate. */
  learning_rate: number;
  /** Phase-1 learning rate. */
  initial_learning_rate: number;
  lr_scheduler: (typeof TRAIN_LR_SCHEDULERS)[number];
  lr_warmup_steps: number;
  /** cosine_with_restarts: the number of hard restarts (diffusers' --lr_num_cycles). */
  lr_num_cycles: number;
  /** polynomial: the power of the decay (diffusers' --lr_power). */
  lr_power: number;
  adam_beta1: number;
  adam_beta2: number;
  adam_weight_decay: number;
  adam_epsilon: number;
  /** Gradient-norm clip. */
  max_grad_norm: number;
  /** Fixes data sampling, noise, timesteps and init. */
  seed: number;
  /** Working resolution (unset: the model's sample_size). */
  resolution?: number | undefined;
  /** Instance samples per step. */
  train_batch_size: number;
  /** Save a resumable checkpoint every N steps (0: never). */
  checkpointing_steps: number;
  /** Keep at most this many checkpoints, the newest (diffusers' flag; there unset keeps all, here 3 by default: ~15 MB each on the default model). */
  checkpoints_total_limit: number;
  /** A checkpoint folder, or "latest" in output_dir. */
  resume_from_checkpoint?: string | undefined;
  /** With log_checkpoints: every N phase-2 steps save the model, attention maps and a sample. */
  img_log_steps: number;
  log_checkpoints: boolean;
  /** DDIM steps of logged and validation samples and of class images. */
  num_inference_steps: number;
  /** Guidance of logged and validation samples and of class images. */
  guidance_scale: number;
  /** DDIM's eta of logged and validation samples and of class images (0: deterministic DDIM; 1: ancestral). */
  eta: number;
  /** Base model folder (unset: the shipped base model). */
  pretrained_model_name_or_path?: string | undefined;
  /** Kernel backend for the run (unset: the one already selected). */
  backend?: string | undefined;
  /** Micro-batches per optimizer step, their losses divided by this (diffusers' accumulation); steps count optimizer steps. */
  gradient_accumulation_steps: number;
  /** Crop a non-square image (and its masks) to its centre square before resizing, as diffusers' --center_crop. */
  center_crop: boolean;
  /** Prompts sampled every validation_steps steps and at the end (empty: no validation). */
  validation_prompt: string[];
  /** Optimizer steps between validations. */
  validation_steps: number;
  /** Images sampled per validation prompt, image k from seed + k. */
  num_validation_images: number;
  /** Save each placeholder token's cross-attention map per layer every attention_maps_steps steps and at the end. */
  save_attention_maps: boolean;
  /** Optimizer steps between saved per-layer attention maps. */
  attention_maps_steps: number;
}

/** What a caller must give (the instance folder) and may give (anything else). */
export type TrainOverrides = Partial<TrainConfig> & Pick<TrainConfig, 'instance_data_dir'>;

/** Every field with a default; the optional fields are unset unless given. */
export const TRAIN_DEFAULTS = {
  num_of_assets: 1,
  initializer_tokens: [] as string[],
  extract_background: false,
  placeholder_token: '<asset>',
  phase1_train_steps: 400,
  phase2_train_steps: 400,
  output_dir: 'outputs/break-a-scene',
  lambda_attention: 1e-2,
  no_prior_preservation: false,
  class_prompt: 'a photo at the beach',
  num_class_images: 100,
  sample_batch_size: 4,
  prior_loss_weight: 1.0,
  do_not_apply_masked_loss: false,
  no_union_sampling: false,
  attention_store_quirk: false,
  no_train_text_encoder: false,
  learning_rate: 2e-6,
  initial_learning_rate: 5e-4,
  lr_scheduler: 'constant',
  lr_warmup_steps: 0,
  lr_num_cycles: 1,
  lr_power: 1.0,
  adam_beta1: 0.9,
  adam_beta2: 0.999,
  adam_weight_decay: 1e-2,
  adam_epsilon: 1e-8,
  max_grad_norm: 1.0,
  seed: 0,
  train_batch_size: 1,
  checkpointing_steps: 500,
  checkpoints_total_limit: 3,
  img_log_steps: 200,
  log_checkpoints: false,
  num_inference_steps: 50,
  guidance_scale: 7.5,
  eta: 0,
  gradient_accumulation_steps: 1,
  center_crop: false,
  validation_prompt: [] as string[],
  validation_steps: 100,
  num_validation_images: 4,
  save_attention_maps: false,
  attention_maps_steps: 100,
} as const satisfies Omit<TrainConfig, 'instance_data_dir'>;

/**
 * The recipe measured for the shipped base model (models/base; README, "Break-A-Scene on the base
 * model, measured", and docs/eval.md): these fields' defaults when that model is the one in use.
 * TRAIN_DEFAULTS holds the original's values, for Stable Diffusion 2.1 at 512 px, whose learning
 * rates barely move a 32 px model trained from scratch in a few hundred steps.
 */
export const SHIPPED_MODEL_DEFAULTS = {
  initial_learning_rate: 5e-3,
  learning_rate: 1e-4,
  /** Unconditional samples of the base model: its prior, not a scene it was never shown. */
  class_prompt: '',
  num_class_images: 40,
  num_inference_steps: 25,
  guidance_scale: 4,
} as const satisfies Partial<TrainConfig>;

/** Whether a run on `pretrained_model_name_or_path` trains the shipped base model (unset: the shipped one, when the repository has it). */
export function usesShippedModel(pretrained_model_name_or_path: string | undefined): boolean {
  const shipped = shippedBaseModel();
  if (shipped === null) return false;
  const fs = files();
  if (pretrained_model_name_or_path === undefined) return fs.exists(fs.join(shipped, 'model_index.json'));
  return fs.resolve(pretrained_model_name_or_path) === fs.resolve(shipped);
}

/** The defaults a run on that base model starts from: the original's, with the shipped model's recipe on top when it is the one in use. */
export function trainDefaultsFor(pretrained_model_name_or_path: string | undefined): Omit<TrainConfig, 'instance_data_dir'> {
  return usesShippedModel(pretrained_model_name_or_path) ? { ...TRAIN_DEFAULTS, ...SHIPPED_MODEL_DEFAULTS } : TRAIN_DEFAULTS;
}

const OPTIONAL_FIELDS = ['attn_res', 'class_data_dir', 'resolution', 'resume_from_checkpoint', 'pretrained_model_name_or_path', 'backend'] as const;
const KNOWN_FIELDS: ReadonlySet<string> = new Set(['instance_data_dir', ...Object.keys(TRAIN_DEFAULTS), ...OPTIONAL_FIELDS]);

/** The range of every numeric field (the resolution's fit to the model is checked by the trainer). */
const TRAIN_RANGES: Partial<Record<keyof TrainConfig, Range>> = {
  num_of_assets: 'at least 1',
  train_batch_size: 'at least 1',
  num_class_images: 'at least 1',
  sample_batch_size: 'at least 1',
  img_log_steps: 'at least 1',
  lr_num_cycles: 'at least 1',
  num_inference_steps: 'at least 1',
  gradient_accumulation_steps: 'at least 1',
  validation_steps: 'at least 1',
  num_validation_images: 'at least 1',
  attention_maps_steps: 'at least 1',
  checkpoints_total_limit: 'at least 1',
  attn_res: 'at least 1',
  phase1_train_steps: '>= 0',
  phase2_train_steps: '>= 0',
  checkpointing_steps: '>= 0',
  lr_warmup_steps: '>= 0',
  lambda_attention: '>= 0',
  prior_loss_weight: '>= 0',
  learning_rate: '>= 0',
  initial_learning_rate: '>= 0',
  adam_weight_decay: '>= 0',
  eta: '[0, 1]',
  guidance_scale: '>= 0',
  adam_epsilon: '> 0',
  max_grad_norm: '> 0',
  adam_beta1: '[0, 1)',
  adam_beta2: '[0, 1)',
};

/** The defaults with `overrides` on top, checked; an override of `undefined` keeps the default. */
export function trainConfig(overrides: TrainOverrides): TrainConfig {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const defaults = trainDefaultsFor(overrides.pretrained_model_name_or_path);
  const config: TrainConfig = { ...defaults, initializer_tokens: [...TRAIN_DEFAULTS.initializer_tokens], validation_prompt: [...TRAIN_DEFAULTS.validation_prompt], ...given } as TrainConfig;
  validateTrainConfig(config);
  return config;
}

/** Ranges and enums of a configuration, each failure naming its field. */
export function validateTrainConfig(c: TrainConfig): void {
  // an unknown key is a misspelt field, which would otherwise be ignored
  const unknown = Object.keys(c).find((k) => !KNOWN_FIELDS.has(k));
  if (unknown !== undefined) throw new InputError(`unknown training config field "${unknown}"`);
  if (typeof c.instance_data_dir !== 'string' || c.instance_data_dir === '') throw new InputError((n) => `${n('instance_data_dir')} is required`);
  checkRanges(c, TRAIN_RANGES);
  if (c.resolution !== undefined && c.resolution < 8) throw new InputError((n) => `${n('resolution')} ${c.resolution} is too small`);
  if (!(c.lr_power > 0)) throw new InputError((n) => `${n('lr_power')} must be positive, got ${c.lr_power}`);
  if (!Array.isArray(c.validation_prompt) || c.validation_prompt.some((p) => typeof p !== 'string')) throw new InputError((n) => `${n('validation_prompt')} must be a list of prompts`);
  const blank = c.validation_prompt.findIndex((p) => p.trim() === '');
  if (blank >= 0) throw new InputError((n) => `${n('validation_prompt')} ${blank + 1} is empty`);
  if (!(TRAIN_LR_SCHEDULERS as readonly string[]).includes(c.lr_scheduler)) {
    throw new InputError((n) => `${n('lr_scheduler')} must be one of ${TRAIN_LR_SCHEDULERS.join(', ')}, got "${c.lr_scheduler}"`);
  }
}
