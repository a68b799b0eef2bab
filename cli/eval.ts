// bas eval: the base model's prompt fidelity, and Break-A-Scene with its ablations on generated
// scenes, judged by the world's detector. Writes eval.md and eval.json.
import { COLOUR_NAMES, SHAPE_NAMES } from '../lab/world/index.js';
import { evalBaseModel } from '../lab/eval/base_model.js';
import { evalBreakAScene, VARIANTS } from '../lab/eval/break_a_scene.js';
import { MASK_NOISES, type MaskNoise } from '../lab/eval/mask_noise.js';
import { reportMarkdown, writeReport } from '../lab/eval/report.js';
import { loadBaseModel } from '../bas/model.js';
import { TRAIN_LR_SCHEDULERS, type TrainConfig } from '../bas/train/config.js';
import { formatHelp, parseFlagOverrides, parseFlags, type FlagSpecs } from './args.js';
import { TRAIN_FLAGS } from './train.js';
import { InputError } from '../bas/errors.js';
import { checkRanges } from '../bas/ranges.js';

const FLAGS = {
  output_dir: { type: 'string', help: 'where eval.md, eval.json and the runs go', default: 'outputs/eval' },
  quick: { type: 'boolean', help: 'a tiny budget that runs end to end in a minute or two (CI)' },
  skip_base: { type: 'boolean', help: 'skip the base-model measurement' },
  skip_bas: { type: 'boolean', help: 'skip the Break-A-Scene measurements' },
  pretrained_model_name_or_path: { type: 'string', help: 'base model folder (default: the shipped one)' },
  seeds: { type: 'int', help: 'images per prompt', default: 4 },
  num_colours: { type: 'int', help: `colours in single-object prompts (the first N of ${COLOUR_NAMES.length})`, default: COLOUR_NAMES.length },
  num_shapes: { type: 'int', help: `shapes in single-object prompts (the first N of ${SHAPE_NAMES.length})`, default: SHAPE_NAMES.length },
  pairs: { type: 'int', help: 'two-object prompts', default: 8 },
  scenes: { type: 'int', help: 'generated scenes for Break-A-Scene', default: 5 },
  phase1_train_steps: { type: 'int', help: 'per run', default: 100 },
  phase2_train_steps: { type: 'int', help: 'per run', default: 100 },
  variants: { type: 'strings', help: `which runs (${Object.keys(VARIANTS).join(' | ')}; --variants= for none, e.g. only --mask_noise runs)`, default: Object.keys(VARIANTS) },
  mask_noise: { type: 'strings', repeatable: true, help: `mask robustness: one more run of the full method per value, its training masks perturbed (${MASK_NOISES.join(' | ')}; grid8: the cells of an 8x8 grid the mask touches); IoU still against the true masks`, default: [] },
  mask_noise_pixels: { type: 'int', help: 'radius of --mask_noise dilate and erode, in pixels of the 32 px scene', default: 2 },
  train_flags: { type: 'string', help: 'extra bas train flags for every run, as one string after = (--train_flags="--no_prior_preservation --learning_rate 1e-4")', default: '--initial_learning_rate 5e-3 --learning_rate 1e-4' },
  class_prompt: { type: 'string', help: 'prior preservation: prompt of the class images, drawn once and shared by every run (empty: unconditional samples)', default: '' },
  num_class_images: { type: 'int', help: 'prior preservation: class images', default: 40 },
  num_inference_steps: { type: 'int', help: 'DDIM steps per image', default: 25 },
  guidance_scale: { type: 'number', help: 'classifier-free guidance', default: 4 },
  guidance_rescale: { type: 'number', help: "diffusers' guidance_rescale in [0, 1] for every sample judged (0: off)", default: 0 },
  eta: { type: 'number', help: "DDIM's eta in [0, 1] for every sample judged (0: deterministic DDIM, 1: ancestral)", default: 0 },
  seed: { type: 'int', help: 'seed of scenes, noise and training', default: 0 },
  help: { type: 'boolean', help: 'show this help' },
} satisfies FlagSpecs;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(formatHelp('eval', 'measure the base model and Break-A-Scene (with ablations) on the synthetic world', FLAGS));
    return 0;
  }
  const f = parseFlags(argv, FLAGS, 'eval');
  for (const [flag, n, max] of [['num_colours', f.num_colours, COLOUR_NAMES.length], ['num_shapes', f.num_shapes, SHAPE_NAMES.length]] as const) {
    if (!(n >= 1 && n <= max)) throw new InputError(`--${flag}: must be 1..${max}, got ${n}`);
  }
  const mask_noise = f.mask_noise.flatMap((v) => v.split(',')).filter((v) => v.length > 0);
  const badNoise = mask_noise.find((v) => !(MASK_NOISES as readonly string[]).includes(v));
  if (badNoise !== undefined) throw new InputError(`--mask_noise: must be one of ${MASK_NOISES.join(', ')}, got "${badNoise}"`);
  if (!(f.mask_noise_pixels >= 1)) throw new InputError(`--mask_noise_pixels: must be at least 1, got ${f.mask_noise_pixels}`);
  checkRanges(f, { guidance_scale: '>= 0', guidance_rescale: '[0, 1]', eta: '[0, 1]' });
  const q = f.quick;
  const t0 = Date.now();
  const log = (m: string): void => console.log(m);
  const base = f.skip_base
    ? null
    : evalBaseModel(
        loadBaseModel(f.pretrained_model_name_or_path, f.seed, log),
        {
          colours: COLOUR_NAMES.slice(0, q ? 2 : f.num_colours),
          shapes: SHAPE_NAMES.slice(0, q ? 1 : f.num_shapes),
          seeds: q ? 1 : f.seeds,
          pairs: q ? 1 : f.pairs,
          num_inference_steps: q ? 4 : f.num_inference_steps,
          guidance_scale: f.guidance_scale,
          guidance_rescale: f.guidance_rescale,
          eta: f.eta,
          seed: f.seed,
        },
        log,
      );
  const bas = f.skip_bas
    ? []
    : await evalBreakAScene(
        {
          scenes: q ? 1 : f.scenes,
          seed: f.seed,
          phase1_train_steps: q ? 2 : f.phase1_train_steps,
          phase2_train_steps: q ? 2 : f.phase2_train_steps,
          train_overrides: trainOverrides(f.train_flags),
          class_prompt: f.class_prompt,
          num_class_images: q ? 2 : f.num_class_images,
          variants: q ? ['full', 'lambda_attention 0'] : f.variants.filter((v) => v !== ''),
          mask_noise: mask_noise as MaskNoise[],
          mask_noise_pixels: f.mask_noise_pixels,
          seeds: q ? 1 : f.seeds,
          num_inference_steps: q ? 4 : f.num_inference_steps,
          guidance_scale: f.guidance_scale,
          guidance_rescale: f.guidance_rescale,
          eta: f.eta,
          base_model: f.pretrained_model_name_or_path,
          work_dir: f.output_dir,
        },
        log,
      );
  const report = { command: `npx bas eval ${argv.map(shellQuote).join(' ')}`.trim(), base, break_a_scene: bas, seconds: (Date.now() - t0) / 1000 };
  writeReport(f.output_dir, report);
  console.log(`\n${reportMarkdown(report)}\nwrote ${f.output_dir}/eval.md and eval.json`);
  return 0;
}

/** `--train_flags`: `bas train` flags as training-config overrides (only those given, no defaults). */
function trainOverrides(flags: string): Partial<TrainConfig> {
  // parsed as `bas train` parses them, so a bad flag reads as it would there
  const { help: _help, lr_scheduler, ...o } = parseFlagOverrides(flags.split(/\s+/).filter((s) => s.length > 0), TRAIN_FLAGS, 'train');
  // parseFlagOverrides checked lr_scheduler against TRAIN_LR_SCHEDULERS
  return lr_scheduler === undefined ? o : { ...o, lr_scheduler: lr_scheduler as (typeof TRAIN_LR_SCHEDULERS)[number] };
}

/** An argument as a POSIX shell would need it, so the reproduce line can be pasted as is. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
