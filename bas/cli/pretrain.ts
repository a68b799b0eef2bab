// bas pretrain: the project's base model, from scratch, on the synthetic world.
import { UNET_CONFIGS, type UNetConfigName } from '../../nn/configs.js';
import { Pretrainer, type PretrainArgs } from '../pretrain/pretrainer.js';
import { TEXTURES, type TextureName } from '../world/index.js';
import { formatHelp, parseFlags, type FlagSpecs } from './args.js';
import { InputError } from './errors.js';

const FLAGS = {
  output_dir: { type: 'string', help: 'checkpoints, samples/, metrics.jsonl and the final model/', default: 'outputs/pretrain' },
  config: { type: 'string', help: 'UNet config (tiny: for tests)', default: 'default', choices: Object.keys(UNET_CONFIGS) },
  resolution: { type: 'int', help: "scene side in pixels, 32 or 64 (default: the config's sample_size, at least 32)" },
  max_train_steps: { type: 'int', help: 'optimizer steps', default: 3900 },
  train_batch_size: { type: 'int', help: 'scenes per step', default: 16 },
  learning_rate: { type: 'number', help: 'AdamW learning rate after warmup', default: 1e-3 },
  lr_warmup_steps: { type: 'int', help: 'linear warmup steps', default: 200 },
  lr_scheduler: { type: 'string', help: 'learning-rate schedule', default: 'warmup_stable_decay', choices: ['constant_with_warmup', 'linear', 'cosine', 'warmup_stable_decay'] },
  lr_decay_steps: { type: 'int', help: 'warmup_stable_decay: the last N steps decay to 0', default: 1200 },
  adam_weight_decay: { type: 'number', help: 'AdamW weight decay', default: 1e-2 },
  max_grad_norm: { type: 'number', help: 'gradient-norm clip', default: 1.0 },
  ema_decay: { type: 'number', help: 'EMA decay of the sampling weights', default: 0.999 },
  snr_gamma: { type: 'number', help: 'min-SNR loss weighting gamma (0 = plain MSE)', default: 5 },
  snr_weight_floor: { type: 'number', help: 'x0-error weight min(SNR, gamma) + F: F = 1 keeps the high-noise steps that decide a layout weighted (use with v_prediction)', default: 0 },
  object_loss_weight: { type: 'number', help: 'loss weight of object pixels over background ones (1 = plain MSE)', default: 1 },
  uncond_prob: { type: 'number', help: 'share of empty captions (classifier-free guidance)', default: 0.1 },
  background_drop_prob: { type: 'number', help: 'share of captions without "on a ... background", so prompts without it are in distribution', default: 0.5 },
  beta_schedule: { type: 'string', help: 'noise schedule (pixel space: linear)', default: 'linear', choices: ['linear', 'scaled_linear', 'squaredcos_cap_v2'] },
  prediction_type: { type: 'string', help: 'what the UNet predicts (v_prediction: v = sqrt(abar) eps - sqrt(1 - abar) x0)', default: 'epsilon', choices: ['epsilon', 'v_prediction'] },
  addition_embed_type: { type: 'string', help: 'text: the pooled caption is added to the time embedding, reaching every ResNet block', default: 'none', choices: ['none', 'text'] },
  textures: { type: 'strings', help: `background textures of the scenes (${TEXTURES.join(' | ')})`, default: [...TEXTURES] },
  min_objects: { type: 'int', help: 'fewest objects per scene', default: 1 },
  max_objects: { type: 'int', help: 'most objects per scene', default: 2 },
  curriculum_steps: { type: 'int', help: 'the first N steps show one object on a plain background, then the world above', default: 0 },
  seed: { type: 'int', help: 'seed of init, scene stream, noise and timesteps', default: 0 },
  checkpointing_steps: { type: 'int', help: 'checkpoint every N steps', default: 250 },
  sample_steps: { type: 'int', help: 'sample grid every N steps (0: never)', default: 500 },
  resume_from_checkpoint: { type: 'string', help: 'PATH or "latest"' },
  pretrained_model_name_or_path: { type: 'string', help: 'start from this pipeline folder (its weights and architecture; --config and --resolution unused) instead of from scratch' },
  text_encoder_name_or_path: { type: 'string', help: 'a fresh UNet reads the text encoder (and tokenizer) of this folder, e.g. a `bas pretrain-clip` output' },
  freeze_text_encoder: { type: 'boolean', help: "keep the text encoder's weights fixed (as Stable Diffusion keeps CLIP)", default: false },
  backend: { type: 'string', help: 'kernel backend (default $BAS_BACKEND, else gpujs-webasm)' },
  help: { type: 'boolean', help: 'show this help' },
} satisfies FlagSpecs;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(formatHelp('pretrain', "train the project's base text-to-image model on synthetic scenes", FLAGS));
    return 0;
  }
  const f = parseFlags(argv, FLAGS, 'pretrain');
  const { help: _help, ...rest } = f;
  const unknownTexture = f.textures.find((t) => !(TEXTURES as readonly string[]).includes(t));
  if (unknownTexture !== undefined) throw new InputError(`--textures: unknown texture "${unknownTexture}" (known: ${TEXTURES.join(', ')})`);
  const args: PretrainArgs = {
    ...rest,
    config: f.config as UNetConfigName,
    lr_scheduler: f.lr_scheduler as PretrainArgs['lr_scheduler'],
    beta_schedule: f.beta_schedule as PretrainArgs['beta_schedule'],
    prediction_type: f.prediction_type as PretrainArgs['prediction_type'],
    addition_embed_type: f.addition_embed_type as PretrainArgs['addition_embed_type'],
    textures: f.textures as TextureName[],
  };
  if (f.text_encoder_name_or_path !== undefined && f.pretrained_model_name_or_path !== undefined) {
    throw new InputError('--text_encoder_name_or_path and --pretrained_model_name_or_path: the pipeline folder brings its own text encoder; give one of them');
  }
  const trainer = new Pretrainer(args);
  const onSigint = (): void => trainer.requestStop();
  process.on('SIGINT', onSigint);
  try {
    const r = await trainer.train();
    return r.interrupted ? 130 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
