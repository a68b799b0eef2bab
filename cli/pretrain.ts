// bas pretrain: the project's base model, from scratch, on the synthetic world. The flags are the
// fields of the lab's PretrainConfig (lab/pretrain/config.ts), with its defaults; the command parses
// argv into overrides and leaves the defaults and the checks to pretrainConfig.
import { UNET_CONFIGS, type UNetConfigName } from '../nn/configs.js';
import { PADDING_MODES, type PaddingMode } from '../nn/layers/conv2d.js';
import { TIME_EMBEDDING_NORMS, type TimeEmbeddingNorm } from '../nn/unet/resnet.js';
import { PRETRAIN_CHOICES, PRETRAIN_DEFAULTS, pretrainConfig, type PretrainConfig } from '../lab/pretrain/config.js';
import { Pretrainer } from '../lab/pretrain/pretrainer.js';
import { COLOUR_NAMES, SHAPE_NAMES, TEXTURES, type ColourName, type ShapeName, type TextureName } from '../lab/world/index.js';
import { formatHelp, parseFlags, type FlagSpecs } from './args.js';
import { checkOutputDir } from './checks.js';
import { handleInterrupts } from './interrupt.js';
import { PROFILE_FLAG, profilerFor } from './profile.js';

const D = PRETRAIN_DEFAULTS;

const FLAGS = {
  output_dir: { type: 'string', help: 'checkpoints, samples/, metrics.jsonl and the final model/', default: D.output_dir },
  config: { type: 'string', help: 'UNet config (tiny: for tests)', default: D.config, choices: Object.keys(UNET_CONFIGS) },
  resolution: { type: 'int', help: "scene side in pixels, 32 or 64 (default: the config's sample_size, at least 32)" },
  max_train_steps: { type: 'int', help: 'optimizer steps', default: D.max_train_steps },
  train_batch_size: { type: 'int', help: 'scenes per step', default: D.train_batch_size },
  learning_rate: { type: 'number', help: 'AdamW learning rate after warmup', default: D.learning_rate },
  lr_warmup_steps: { type: 'int', help: 'linear warmup steps', default: D.lr_warmup_steps },
  lr_scheduler: { type: 'string', help: 'learning-rate schedule', default: D.lr_scheduler, choices: PRETRAIN_CHOICES.lr_scheduler },
  lr_decay_steps: { type: 'int', help: 'warmup_stable_decay: the last N steps decay to 0', default: D.lr_decay_steps },
  adam_weight_decay: { type: 'number', help: 'AdamW weight decay', default: D.adam_weight_decay },
  max_grad_norm: { type: 'number', help: 'gradient-norm clip', default: D.max_grad_norm },
  ema_decay: { type: 'number', help: 'EMA decay of the sampling weights', default: D.ema_decay },
  snr_gamma: { type: 'number', help: 'min-SNR loss weighting gamma (0 = plain MSE)', default: D.snr_gamma },
  snr_weight_floor: { type: 'number', help: 'x0-error weight min(SNR, gamma) + F: F = 1 keeps the high-noise steps that decide a layout weighted (use with v_prediction)', default: D.snr_weight_floor },
  object_loss_weight: { type: 'number', help: 'loss weight of object pixels over background ones (1 = plain MSE)', default: D.object_loss_weight },
  uncond_prob: { type: 'number', help: 'share of empty captions (classifier-free guidance)', default: D.uncond_prob },
  background_drop_prob: { type: 'number', help: 'share of captions without "on a ... background", so prompts without it are in distribution', default: D.background_drop_prob },
  beta_schedule: { type: 'string', help: 'noise schedule (pixel space: linear)', default: D.beta_schedule, choices: PRETRAIN_CHOICES.beta_schedule },
  prediction_type: { type: 'string', help: 'what the UNet predicts (v_prediction: v = sqrt(abar) eps - sqrt(1 - abar) x0)', default: D.prediction_type, choices: PRETRAIN_CHOICES.prediction_type },
  addition_embed_type: { type: 'string', help: 'text: the pooled caption is added to the time embedding, reaching every ResNet block', default: D.addition_embed_type, choices: PRETRAIN_CHOICES.addition_embed_type },
  conv_padding_mode: { type: 'string', help: "a fresh UNet's conv padding: circular wraps around the image, so no layer can tell where the border is (default zeros)", choices: PADDING_MODES },
  resnet_time_scale_shift: { type: 'string', help: "a fresh UNet's resnets: scale_shift lets the time embedding (with the pooled caption) scale and shift each channel after norm2, as DeepFloyd IF does (default: added before it)", choices: TIME_EMBEDDING_NORMS },
  textures: { type: 'strings', help: `background textures of the scenes (${TEXTURES.join(' | ')})`, default: [...D.textures] },
  shapes: { type: 'strings', help: `shapes of the scenes (default all: ${SHAPE_NAMES.join(' | ')}); a few distinct ones are a curriculum's first stage` },
  colours: { type: 'strings', help: `object colours (default all: ${COLOUR_NAMES.join(' | ')}); one colour leaves the shape as the caption's only object word` },
  min_objects: { type: 'int', help: 'fewest objects per scene', default: D.min_objects },
  max_objects: { type: 'int', help: 'most objects per scene', default: D.max_objects },
  placement: { type: 'string', help: "where each scene's first object goes (centre: mid-image, a diagnostic)", default: D.placement, choices: PRETRAIN_CHOICES.placement },
  placement_jitter: { type: 'number', help: 'with --placement centre: the first object moves up to N pixels (at 32x32) from mid-image, a bridge to anywhere' },
  curriculum_steps: { type: 'int', help: 'the first N steps show one object on a plain background, then the world above', default: D.curriculum_steps },
  seed: { type: 'int', help: 'seed of init, scene stream, noise and timesteps', default: D.seed },
  checkpointing_steps: { type: 'int', help: 'checkpoint every N steps', default: D.checkpointing_steps },
  sample_steps: { type: 'int', help: 'sample grid every N steps (0: never)', default: D.sample_steps },
  resume_from_checkpoint: { type: 'string', help: 'PATH or "latest"' },
  pretrained_model_name_or_path: { type: 'string', help: 'start from this pipeline folder (its weights and architecture; --config and --resolution unused) instead of from scratch' },
  text_encoder_name_or_path: { type: 'string', help: 'a fresh UNet reads the text encoder (and tokenizer) of this folder, e.g. a `bas pretrain-clip` output' },
  freeze_text_encoder: { type: 'boolean', help: "keep the text encoder's weights fixed (as Stable Diffusion keeps CLIP)", default: D.freeze_text_encoder },
  backend: { type: 'string', help: 'kernel backend (default $BAS_BACKEND, else gpujs-webasm)' },
  profile_steps: PROFILE_FLAG,
  help: { type: 'boolean', help: 'show this help' },
} satisfies FlagSpecs;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(formatHelp('pretrain', "train the project's base text-to-image model on synthetic scenes", FLAGS));
    return 0;
  }
  const { help: _help, profile_steps, ...f } = parseFlags(argv, FLAGS, 'pretrain');
  const profiler = profilerFor(profile_steps);
  // the string flags' values are checked by pretrainConfig, which names the field at fault
  const config = pretrainConfig({
    ...f,
    config: f.config as UNetConfigName,
    lr_scheduler: f.lr_scheduler as PretrainConfig['lr_scheduler'],
    beta_schedule: f.beta_schedule as PretrainConfig['beta_schedule'],
    prediction_type: f.prediction_type as PretrainConfig['prediction_type'],
    addition_embed_type: f.addition_embed_type as PretrainConfig['addition_embed_type'],
    conv_padding_mode: f.conv_padding_mode as PaddingMode | undefined,
    resnet_time_scale_shift: f.resnet_time_scale_shift as TimeEmbeddingNorm | undefined,
    textures: f.textures as TextureName[],
    shapes: f.shapes as ShapeName[] | undefined,
    colours: f.colours as ColourName[] | undefined,
    placement: f.placement as PretrainConfig['placement'],
  });
  checkOutputDir('--output_dir', config.output_dir);
  const trainer = new Pretrainer(config, undefined, profiler);
  const stopHandling = handleInterrupts(() => {
    console.log('\ninterrupt: stopping after this step, with a checkpoint (Ctrl-C again to quit now)');
    trainer.requestStop();
  });
  try {
    const r = await trainer.train();
    return r.interrupted ? 130 : 0;
  } finally {
    stopHandling();
  }
}
