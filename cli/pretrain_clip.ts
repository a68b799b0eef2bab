// bas pretrain-clip: the base model's text encoder, trained first with an image encoder on the
// world's (image, caption) pairs by CLIP's contrastive objective.
import { UNET_CONFIGS, type UNetConfigName } from '../nn/configs.js';
import { pretrainWorldClip, type ClipPretrainArgs } from '../lab/pretrain/clip_pretrainer.js';
import { useBackend } from '../bas/backend.js';
import { formatHelp, parseFlags, type FlagSpecs } from './args.js';
import { InputError } from '../bas/errors.js';

const FLAGS = {
  output_dir: { type: 'string', help: 'text_encoder/, tokenizer/, world_clip/, metrics.jsonl and result.json', default: 'outputs/world_clip' },
  config: { type: 'string', help: 'the UNet config whose text encoder this trains (tiny: for tests)', default: 'default', choices: Object.keys(UNET_CONFIGS) },
  max_train_steps: { type: 'int', help: 'optimizer steps', default: 1500 },
  train_batch_size: { type: 'int', help: 'image-caption pairs per step (each is the others\' negative)', default: 64 },
  learning_rate: { type: 'number', help: 'AdamW learning rate after warmup (cosine decay to 0)', default: 1e-3 },
  lr_warmup_steps: { type: 'int', help: 'linear warmup steps', default: 100 },
  adam_weight_decay: { type: 'number', help: 'AdamW weight decay', default: 0.1 },
  background_drop_prob: { type: 'number', help: 'share of captions without their background phrase', default: 0.5 },
  min_objects: { type: 'int', help: 'fewest objects per scene', default: 1 },
  max_objects: { type: 'int', help: 'most objects per scene', default: 2 },
  resolution: { type: 'int', help: 'scene side in pixels (32 or 64)', default: 32 },
  seed: { type: 'int', help: 'seed of init and scene stream (the held-out check uses seed + 1)', default: 0 },
  eval_scenes: { type: 'int', help: 'one-object scenes of the held-out check', default: 512 },
  backend: { type: 'string', help: 'kernel backend (default $BAS_BACKEND, else gpujs-webasm)' },
  help: { type: 'boolean', help: 'show this help' },
} satisfies FlagSpecs;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(formatHelp('pretrain-clip', "train the base model's text encoder contrastively on the world's image-caption pairs", FLAGS));
    return 0;
  }
  const f = parseFlags(argv, FLAGS, 'pretrain-clip');
  for (const k of ['max_train_steps', 'eval_scenes'] as const) if (f[k] < 1) throw new InputError(`--${k} must be at least 1, got ${f[k]}`);
  if (f.train_batch_size < 2) throw new InputError(`--train_batch_size must be at least 2 (a contrastive batch needs negatives), got ${f.train_batch_size}`);
  if (f.resolution <= 0 || f.resolution % 32 !== 0) throw new InputError(`--resolution: the world draws scenes at multiples of 32 pixels, got ${f.resolution}`);
  if (f.min_objects < 1 || f.max_objects < f.min_objects) throw new InputError(`--min_objects ${f.min_objects} / --max_objects ${f.max_objects}: need 1 <= min <= max`);
  if (f.backend) useBackend(f.backend);
  const { help: _help, backend: _backend, ...rest } = f;
  const args: ClipPretrainArgs = { ...rest, config: f.config as UNetConfigName };
  await pretrainWorldClip(args);
  return 0;
}
