// bas train: Break-A-Scene on one image and its masks. The flags are the fields of the library's
// TrainConfig (bas/train/config.ts), with its defaults; the command parses argv into overrides and
// leaves the defaults and the checks to trainConfig.
import { SHIPPED_MODEL_DEFAULTS, TRAIN_DEFAULTS, TRAIN_LR_SCHEDULERS, trainConfig } from '../bas/train/config.js';
import { BreakASceneTrainer, NonFiniteError } from '../bas/train/trainer.js';
import { formatHelp, parseFlags, type FlagSpecs } from './args.js';
import { checkNotLocked } from '../bas/train/run_lock.js';
import { checkNotAFinishedRun, checkOutputDir } from './checks.js';
import { handleInterrupts } from './interrupt.js';
import { PROFILE_FLAG, profilerFor } from './profile.js';

const D = TRAIN_DEFAULTS;
const S = SHIPPED_MODEL_DEFAULTS;
/** The help of a flag with two defaults (no spec default: trainConfig picks by base model). */
const twoDefaults = (help: string, shipped: string | number, original: string | number): string =>
  `${help} (default ${shown(shipped)} with the shipped base model, measured for it; ${shown(original)} with any other, the original's Stable Diffusion value)`;
/** 5e-3, not 0.005: learning rates read as the papers write them. */
const shown = (v: string | number): string => (typeof v === 'string' ? JSON.stringify(v) : v !== 0 && Math.abs(v) < 1e-2 ? v.toExponential() : String(v));

export const TRAIN_FLAGS = {
  instance_data_dir: { type: 'string', help: 'folder with img.jpg|img.png and mask0.png ...', required: true },
  num_of_assets: { type: 'int', help: 'number of concepts (masks) to extract', default: D.num_of_assets },
  extract_background: { type: 'boolean', help: 'also learn the background: one more token (the last), its mask what no given mask covers' },
  initializer_tokens: { type: 'strings', help: 'one vocabulary word per concept to initialise its token from', default: D.initializer_tokens },
  placeholder_token: { type: 'string', help: 'template of the concept tokens (<asset> -> <asset0> ...)', default: D.placeholder_token },
  phase1_train_steps: { type: 'int', help: 'textual-inversion steps (token embeddings only)', default: D.phase1_train_steps },
  phase2_train_steps: { type: 'int', help: 'steps training the UNet (and text encoder) too', default: D.phase2_train_steps },
  output_dir: { type: 'string', help: 'where the model, metrics.jsonl, checkpoints and images go', default: D.output_dir },
  lambda_attention: { type: 'number', help: 'weight of the cross-attention loss', default: D.lambda_attention },
  attn_res: { type: 'int', help: 'resolution of the supervised attention maps (default: the largest grid with attention, 16 for default)' },
  no_prior_preservation: { type: 'boolean', help: 'train without class images' },
  class_data_dir: { type: 'string', help: 'class images folder (default: OUTPUT_DIR/class_images)' },
  class_prompt: { type: 'string', help: twoDefaults('prompt of the class images', S.class_prompt, D.class_prompt) },
  num_class_images: { type: 'int', help: twoDefaults('class images to generate once and reuse', S.num_class_images, D.num_class_images) },
  sample_batch_size: { type: 'int', help: 'batch size when generating class images', default: D.sample_batch_size },
  prior_loss_weight: { type: 'number', help: 'weight of the prior-preservation loss', default: D.prior_loss_weight },
  do_not_apply_masked_loss: { type: 'boolean', help: 'plain diffusion loss instead of the masked one' },
  no_union_sampling: { type: 'boolean', help: 'ablation: every prompt lists every concept, in order' },
  attention_store_quirk: { type: 'boolean', help: "the original's attention store exactly: keep the second half of the batch x heads rows (without prior preservation: half of the heads; README, Known quirks)" },
  no_train_text_encoder: { type: 'boolean', help: 'phase 2 trains UNet + token embeddings, not the whole text encoder' },
  learning_rate: { type: 'number', help: twoDefaults('phase-2 learning rate', S.learning_rate, D.learning_rate) },
  initial_learning_rate: { type: 'number', help: twoDefaults('phase-1 learning rate', S.initial_learning_rate, D.initial_learning_rate) },
  lr_scheduler: { type: 'string', help: 'learning-rate schedule', default: D.lr_scheduler, choices: TRAIN_LR_SCHEDULERS },
  lr_warmup_steps: { type: 'int', help: 'warmup steps of the schedule', default: D.lr_warmup_steps },
  lr_num_cycles: { type: 'int', help: 'hard restarts of the cosine_with_restarts schedule', default: D.lr_num_cycles },
  lr_power: { type: 'number', help: 'power of the polynomial schedule', default: D.lr_power },
  adam_beta1: { type: 'number', help: 'AdamW beta1', default: D.adam_beta1 },
  adam_beta2: { type: 'number', help: 'AdamW beta2', default: D.adam_beta2 },
  adam_weight_decay: { type: 'number', help: 'AdamW decoupled weight decay', default: D.adam_weight_decay },
  adam_epsilon: { type: 'number', help: 'AdamW epsilon', default: D.adam_epsilon },
  max_grad_norm: { type: 'number', help: 'gradient-norm clip', default: D.max_grad_norm },
  seed: { type: 'int', help: 'fixes data sampling, noise, timesteps and init', default: D.seed },
  resolution: { type: 'int', help: 'working resolution (default: the model sample_size)' },
  train_batch_size: { type: 'int', help: 'instance samples per step', default: D.train_batch_size },
  checkpointing_steps: { type: 'int', help: 'save a resumable checkpoint every N steps', default: D.checkpointing_steps },
  checkpoints_total_limit: { type: 'int', help: 'keep the newest N checkpoints, deleting older ones (a large N keeps all)', default: D.checkpoints_total_limit },
  resume_from_checkpoint: { type: 'string', help: 'PATH of a checkpoint, or "latest" in output_dir' },
  img_log_steps: { type: 'int', help: 'with --log_checkpoints: every N phase-2 steps save the model, attention maps and a sample', default: D.img_log_steps },
  log_checkpoints: { type: 'boolean', help: 'enable the --img_log_steps logs' },
  num_inference_steps: { type: 'int', help: twoDefaults('DDIM steps of logged and validation samples and of class images', S.num_inference_steps, D.num_inference_steps) },
  guidance_scale: { type: 'number', help: twoDefaults('guidance of logged and validation samples and of class images', S.guidance_scale, D.guidance_scale) },
  eta: { type: 'number', help: "DDIM's eta in [0, 1] of logged and validation samples and of class images (0: deterministic DDIM, 1: ancestral sampling)", default: D.eta },
  gradient_accumulation_steps: { type: 'int', help: 'micro-batches per optimizer step (each loss divided by this); steps, the schedule and checkpoints count optimizer steps', default: D.gradient_accumulation_steps },
  center_crop: { type: 'boolean', help: 'crop a non-square image and its masks to the centre square before resizing (default: stretch, with a notice)' },
  validation_prompt: { type: 'strings', repeatable: true, help: 'prompt to sample every --validation_steps steps and at the end, into OUTPUT_DIR/validation/step-N/ with its attention tiles' },
  validation_steps: { type: 'int', help: 'optimizer steps between validations', default: D.validation_steps },
  num_validation_images: { type: 'int', help: 'images per validation prompt (image k from --seed + k, --num_inference_steps, --guidance_scale, --eta)', default: D.num_validation_images },
  save_attention_maps: { type: 'boolean', help: "save each placeholder token's cross-attention map per layer into OUTPUT_DIR/attention_maps/step-N/" },
  attention_maps_steps: { type: 'int', help: 'with --save_attention_maps: optimizer steps between saved maps (and the last step)', default: D.attention_maps_steps },
  pretrained_model_name_or_path: { type: 'string', help: 'base model folder (default: the shipped base model)' },
  backend: { type: 'string', help: 'kernel backend: cpu, gpujs, gpujs-webasm, gpujs-headlessgl, ... (default $BAS_BACKEND, else gpujs-webasm)' },
  profile_steps: PROFILE_FLAG,
  help: { type: 'boolean', help: 'show this help' },
} satisfies FlagSpecs;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(formatHelp('train', "extract concepts from one image and its masks (Break-A-Scene). Defaults are the original train.py's, for Stable Diffusion, except where a flag names two: then the shipped base model gets the recipe measured for it", TRAIN_FLAGS));
    return 0;
  }
  const { help: _help, profile_steps, ...flags } = parseFlags(argv, TRAIN_FLAGS, 'train');
  const profiler = profilerFor(profile_steps);
  // parseFlags checked each choice against TRAIN_LR_SCHEDULERS
  const config = trainConfig({ ...flags, lr_scheduler: flags.lr_scheduler as (typeof TRAIN_LR_SCHEDULERS)[number] });
  checkOutputDir('--output_dir', config.output_dir);
  // a run still writing there is named as such, not as a finished or resumable one
  checkNotLocked(config.output_dir);
  if (config.resume_from_checkpoint === undefined) checkNotAFinishedRun('--output_dir', config.output_dir);
  if (config.class_data_dir !== undefined) checkOutputDir('--class_data_dir', config.class_data_dir);
  const trainer = new BreakASceneTrainer(config, profiler ? { profiler } : {});
  const stopHandling = handleInterrupts(() => {
    console.log('\ninterrupt: stopping after this step, with a checkpoint once training has begun (Ctrl-C again to quit now)');
    trainer.requestStop();
  });
  try {
    const r = await trainer.train();
    return r.interrupted ? 130 : 0;
  } catch (e) {
    if (e instanceof NonFiniteError) {
      console.error(`bas train: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    stopHandling();
  }
}
