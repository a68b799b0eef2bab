// Pretraining the project's own text-to-image base model on the synthetic world: the text encoder
// and the UNet from scratch, on captioned scenes streamed in-process, 10% of captions dropped
// for classifier-free guidance, epsilon prediction with optional min-SNR weighting, AdamW with
// warmup, EMA weights for sampling, sample grids, metrics.jsonl, checkpoints and exact resume.
import { Generator, mse_loss, mul, no_grad, tensor, tidy, type StepProfiler, type Tensor } from '../../core/index.js';
import { DDPMScheduler, SD_SCHEDULER_CONFIG, type SchedulerConfig } from '../../diffusion/index.js';
import { CLIPTextModel, type CLIPTextConfig } from '../../nn/clip/text_model.js';
import { textEncoderConfig, unetConfig, type UNetConfigName } from '../../nn/configs.js';
import { load_text_encoder } from '../../nn/pipeline.js';
import { AdamW } from '../../nn/optim/adamw.js';
import { clip_grad_norm_ } from '../../nn/optim/clip_grad.js';
import { get_scheduler, type LRScheduler } from '../../nn/optim/lr_schedule.js';
import { CLIPTokenizer } from '../../nn/tokenizer/clip_tokenizer.js';
import { UNet2DConditionModel } from '../../nn/unet/unet_2d_condition.js';
import { useBackend } from '../../bas/backend.js';
import { InputError } from '../../bas/errors.js';
import { rgbImagesOf } from '../../bas/io/pixels.js';
import { writePng } from '../../bas/io/png.js';
import { loadModel, sample, saveModel, tokenizePrompts, type BasModel } from '../../bas/model.js';
import { Progress } from '../../bas/train/progress.js';
import { grid } from '../../bas/vis/index.js';
import { captionOf, sceneAt, type SceneStreamOptions } from '../world/index.js';
import { validatePretrainConfig, type PretrainConfig } from './config.js';
import { EMA } from './ema.js';
import { freshStartForLatest, removeStaleTemps, writeFailure } from '../../bas/train/checkpoint_folder.js';
import { checkNotLocked, withRunLock } from '../../bas/train/run_lock.js';
import { getPlatform } from '../../platform/platform.js';
import { openPretrainCheckpoint, PRETRAIN_STATE_FILE, savePretrainCheckpoint, type PretrainState } from './pretrain_checkpoint.js';
import { folderSink, outputPath, type OutputSink } from '../../bas/train/output_sink.js';
import { truncateJsonl } from '../../bas/io/jsonl.js';

/**
 * The noise schedule of a pixel-space model: DDPM's linear betas (SD's scaled_linear is for latents),
 * and x0 clipped to the image range while sampling, as DDPM's pixel models do. Without the clip, an
 * x0 estimate at high noise (divided by sqrt(abar) ~ 0.01) overshoots and the sample saturates to
 * a black or white field: on the shipped model that was every colour miss (70% -> 100%, docs/base_model.md).
 */
function pretrainSchedulerConfig(beta_schedule: PretrainConfig['beta_schedule'], prediction_type: PretrainConfig['prediction_type'] = 'epsilon'): SchedulerConfig {
  const base = { ...SD_SCHEDULER_CONFIG, beta_schedule, prediction_type, clip_sample: true } as SchedulerConfig;
  return beta_schedule === 'linear' ? { ...base, beta_start: 1e-4, beta_end: 0.02 } : base;
}

/** The world of the curriculum's first stage: single objects on plain backgrounds. */
const CURRICULUM_WORLD = { minObjects: 1, maxObjects: 1, textures: ['plain'] as const };

/** The scenes step `step` (0-based) draws from: the curriculum's first stage, then the configured world. */
export function worldAt(a: Pick<PretrainConfig, 'curriculum_steps' | 'min_objects' | 'max_objects' | 'textures' | 'placement' | 'placement_jitter' | 'shapes' | 'colours'>, step: number): SceneStreamOptions {
  const stage: SceneStreamOptions = step < a.curriculum_steps ? CURRICULUM_WORLD : { minObjects: a.min_objects, maxObjects: a.max_objects, textures: a.textures };
  // --shapes and --colours narrow both stages; left unset, the options stay as before (so old runs resume unchanged)
  const world = { ...stage, ...(a.shapes === undefined ? {} : { shapes: a.shapes }), ...(a.colours === undefined ? {} : { colours: a.colours }) };
  if (a.placement === 'anywhere') return world;
  return { ...world, placement: a.placement, ...(a.placement_jitter ? { jitter: a.placement_jitter } : {}) };
}

/**
 * min-SNR-gamma loss weights per sample. With floor 0, as diffusers' training scripts compute them:
 * min(SNR, gamma) over SNR for epsilon, over SNR + 1 for v; both put weight min(SNR, gamma) on the
 * x0 error, which vanishes at high noise, where a caption decides the layout. `floor` adds to that
 * x0 weight: min(SNR, gamma) + floor. gamma 0 gives plain MSE (x0 weight SNR for epsilon, SNR + 1 for v).
 */
export function minSnrWeights(snr: readonly number[], gamma: number, prediction_type: string, floor = 0): number[] {
  if (gamma <= 0) return snr.map(() => 1);
  return snr.map((s) => (Math.min(s, gamma) + floor) / (prediction_type === 'v_prediction' ? s + 1 : s));
}

/**
 * Flags a resumed run may change without changing what it learns from: where it writes, how long
 * it runs (and so where the decay sits), how often it checkpoints or samples, the kernel backend,
 * and where the first run found its weights (a checkpoint brings its own).
 */
const RUN_FLAGS: ReadonlySet<string> = new Set([
  'output_dir', 'resume_from_checkpoint', 'backend', 'max_train_steps', 'lr_decay_steps', 'checkpointing_steps', 'sample_steps',
  'text_encoder_name_or_path', 'pretrained_model_name_or_path',
]);

/** `--flag: checkpoint X, now Y` for each recipe flag a resumption changes (the checkpoint's args against these). */
export function recipeChanges(saved: Partial<PretrainConfig>, now: PretrainConfig): string[] {
  const keys = new Set([...Object.keys(saved), ...Object.keys(now)].filter((k) => !RUN_FLAGS.has(k)));
  const text = (v: unknown): string => (v === undefined ? 'unset' : JSON.stringify(v));
  return [...keys]
    .filter((k) => text(saved[k as keyof PretrainConfig]) !== text(now[k as keyof PretrainConfig]))
    .sort()
    .map((k) => `--${k}: checkpoint ${text(saved[k as keyof PretrainConfig])}, now ${text(now[k as keyof PretrainConfig])}`);
}

/** A fixed list of single-object prompts the sample grids show (a few colours x shapes). */
const GRID_PROMPTS = ['red circle', 'blue square', 'green triangle', 'yellow star', 'purple heart', 'orange diamond'].map((p) => `a photo of a ${p}`);

export class Pretrainer {
  private stopRequested = false;

  /** `profiler` (StepProfiler): the loop marks each step for it, so a profile is of real steps;
   * `sink` receives the outputs and holds the checkpoints a resume reads (default: args.output_dir). */
  constructor(
    readonly args: PretrainConfig,
    private readonly log: (m: string) => void = (m) => console.log(m),
    private readonly profiler: StepProfiler | null = null,
    readonly sink: OutputSink = folderSink(args.output_dir),
  ) {}

  requestStop(): void {
    this.stopRequested = true;
  }

  async train(): Promise<{ steps: number; interrupted: boolean }> {
    const a = this.args;
    // a configuration built by hand, not by pretrainConfig, is checked too
    validatePretrainConfig(a);
    if (a.backend) useBackend(a.backend);
    const fs = this.sink.files;
    checkNotLocked(this.sink.dir, fs);
    // `latest` with no checkpoint yet starts a new run (bas train does the same)
    const fresh = freshStartForLatest(a.resume_from_checkpoint, this.sink.dir, PRETRAIN_STATE_FILE, outputPath(this.sink, 'model'), this.log, fs);
    const resumed = a.resume_from_checkpoint && !fresh ? openPretrainCheckpoint(a.resume_from_checkpoint, this.sink.dir, this.log, fs) : null;
    // a checkpoint holds the run's own weights, so it wins over the starting model on resume
    const model = resumed ? resumed.checkpoint.model : a.pretrained_model_name_or_path ? startingModel(a.pretrained_model_name_or_path) : freshModel(a);
    const params = [...model.unet.parameters(), ...(a.freeze_text_encoder ? [] : model.text_encoder.parameters())];
    const optimizer = new AdamW(params, { lr: a.learning_rate, weight_decay: a.adam_weight_decay });
    const lr = get_scheduler(a.lr_scheduler, optimizer, {
      num_warmup_steps: a.lr_warmup_steps,
      num_training_steps: a.max_train_steps,
      num_decay_steps: a.lr_decay_steps,
    });
    const ema = new EMA(params, a.ema_decay);
    const gen = new Generator(a.seed);
    let step = 0;
    if (resumed) {
      const st = resumed.checkpoint.state;
      step = st.global_step;
      gen.set_state(st.generator);
      // a resumption that silently trains another recipe is the easiest way to spoil a long run
      const changes = st.args ? recipeChanges(st.args, a) : [];
      try {
        resumed.checkpoint.restore(optimizer, lr, ema);
      } catch (e) {
        // a flag left off the command (say --freeze_text_encoder) shows as a shape mismatch: name it
        if (changes.length === 0) throw e;
        throw new InputError(`${e instanceof Error ? e.message : String(e)}; the command changes the checkpoint's recipe (${changes.join('; ')}): repeat the run's flags`);
      }
      // the command brings the recipe: a new --learning_rate scales the restored schedule from here
      // (torch's load_state_dict would keep the checkpoint's base lr and ignore the flag)
      lr.load_state_dict({ ...lr.state_dict(), base_lrs: lr.base_lrs.map(() => a.learning_rate) });
      this.log(`resuming from ${resumed.dir} at step ${step}`);
      if (changes.length > 0) this.log(`warning: the resumed run changes the checkpoint's recipe:\n  ${changes.join('\n  ')}`);
    } else if (a.pretrained_model_name_or_path) {
      this.log(`starting from the weights in ${a.pretrained_model_name_or_path}`);
    }
    fs.mkdirp(this.sink.dir);
    // one run at a time in a folder: a second one refuses instead of interleaving its writes
    return withRunLock(this.sink.dir, this.log, fs, () => this.trainLocked({ model, params, optimizer, lr, ema, gen }, step));
  }

  /** The loop and the final model, once the output folder is this run's; `step` steps are done. */
  private async trainLocked(run: { model: BasModel; params: Tensor[]; optimizer: AdamW; lr: LRScheduler; ema: EMA; gen: Generator }, step: number): Promise<{ steps: number; interrupted: boolean }> {
    const a = this.args;
    const fs = this.sink.files;
    const { model, params, optimizer, lr, ema, gen } = run;
    removeStaleTemps(this.sink.dir, this.log, fs);
    const scheduler = new DDPMScheduler(model.scheduler_config as Partial<SchedulerConfig>);
    const snr = Array.from(scheduler.alphas_cumprod, (ac) => ac / (1 - ac));
    const metricsPath = outputPath(this.sink, 'metrics.jsonl');
    truncateJsonl(metricsPath, step, fs);
    const progress = new Progress(a.max_train_steps, step);
    const res = model.unet.config.sample_size ?? 32;

    for (; step < a.max_train_steps; ) {
      await this.profiler?.step();
      const t0 = Date.now();
      const bsz = a.train_batch_size;
      // the scene stream is indexed by (step, row): resuming needs only the step
      const world = worldAt(a, step);
      // a section of its own in a profile: else its time lands on the step's first op
      const { scenes, pixels } = this.section('data', () => {
        const made = Array.from({ length: bsz }, (_, i) => sceneAt(a.seed, step * bsz + i, { resolution: res, ...world }));
        return { scenes: made, pixels: scenePixels(made, res) };
      });
      // the step's tensors live in one scope: on a GL backend their textures go when it closes
      const { lossValue, grad_norm } = tidy(() => {
        const x0 = tensor(pixels, { shape: [bsz, 3, res, res], dtype: model.unet.dtype });
        const captions = scenes.map((s) => {
          if (gen.random() < a.uncond_prob) return '';
          // no draw when the share is 0, so runs from before the option resume unchanged
          return a.background_drop_prob > 0 && gen.random() < a.background_drop_prob ? captionOf(s.scene, { withoutBackground: true }) : s.caption;
        });
        const noise = gen.randn([bsz, 3, res, res], { dtype: model.unet.dtype });
        const timesteps = Array.from({ length: bsz }, () => gen.integer(0, scheduler.config.num_train_timesteps));

        const noisy = scheduler.add_noise(x0, noise, timesteps);
        const encode = (): Tensor => model.text_encoder.forward(tokenizePrompts(model, captions)).last_hidden_state;
        const context = a.freeze_text_encoder ? no_grad(encode) : encode();
        const pred = model.unet.forward(noisy, timesteps, context).sample;
        const vPred = scheduler.config.prediction_type === 'v_prediction';
        let sq = mse_loss(pred, vPred ? scheduler.get_velocity(x0, noise, timesteps) : noise, 'none');
        if (a.object_loss_weight !== 1) sq = mul(sq, tensor(pixelWeights(scenes, res, a.object_loss_weight), { shape: [bsz, 1, res, res], dtype: sq.dtype }));
        const perSample = sq.mean([1, 2, 3]);
        const w = minSnrWeights(timesteps.map((t) => snr[t]!), a.snr_gamma, scheduler.config.prediction_type, a.snr_weight_floor);
        const loss = mul(perSample, tensor(w, { dtype: perSample.dtype })).mean();
        const lossValue = loss.item();
        if (!Number.isFinite(lossValue)) throw new InputError(`non-finite pretraining loss (${lossValue}) at step ${step + 1}`);
        loss.backward();
        const grad_norm = this.section('optimizer', () => {
          const norm = clip_grad_norm_(params, a.max_grad_norm);
          optimizer.step();
          lr.step();
          optimizer.zero_grad();
          return norm;
        });
        this.section('EMA', () => ema.update());
        return { lossValue, grad_norm };
      });
      step++;

      const line = { step, loss: lossValue, lr: optimizer.param_groups[0]!.lr, grad_norm, sec: (Date.now() - t0) / 1000 };
      fs.appendText(metricsPath, `${JSON.stringify(line)}\n`);
      progress.update(step, '', { loss: lossValue, attn_loss: null, lr: line.lr });
      if (a.sample_steps > 0 && step % a.sample_steps === 0) this.sampleGrid(model, ema, step);
      if (a.checkpointing_steps > 0 && step % a.checkpointing_steps === 0) this.checkpoint(model, optimizer, lr, ema, gen, step);
      await getPlatform().nextTurn();
      if (this.stopRequested) {
        progress.done();
        this.checkpoint(model, optimizer, lr, ema, gen, step);
        this.log(`interrupted: checkpoint saved at step ${step}`);
        return { steps: step, interrupted: true };
      }
    }
    progress.done();
    await this.profiler?.finish();
    const modelDir = outputPath(this.sink, 'model');
    try {
      ema.withWeights(() => saveModel(modelDir, model, fs));
    } catch (e) {
      throw writeFailure(e, `the model in ${modelDir}`, this.sink.dir, PRETRAIN_STATE_FILE, fs);
    }
    this.log(`saved the EMA weights as a pipeline folder in ${modelDir}`);
    return { steps: step, interrupted: false };
  }

  private section<T>(name: string, fn: () => T): T {
    return this.profiler ? this.profiler.section(name, fn) : fn();
  }

  private sampleGrid(model: BasModel, ema: EMA, step: number): void {
    // a v-prediction model under guidance 4 draws grainy backgrounds and empty images; guidance 2
    // with ancestral sampling (eta 1) draws its cleanest samples (docs/base_model.md, "Sampling the
    // v-prediction model"); an epsilon run keeps the grids it always had
    const sampling = this.args.prediction_type === 'v_prediction' ? { guidance_scale: 2, eta: 1 } : { guidance_scale: 4 };
    const tiles = ema.withWeights(() =>
      GRID_PROMPTS.map((prompt, i) => {
        const out = sample(model, { prompt, seed: i, num_inference_steps: 25, ...sampling });
        return rgbImagesOf(out.images)[0]!;
      }),
    );
    const g = grid(tiles, GRID_PROMPTS.length, { gap: 2 });
    const fs = this.sink.files;
    const dir = outputPath(this.sink, 'samples');
    fs.mkdirp(dir);
    writePng(fs.join(dir, `step-${String(step).padStart(6, '0')}.png`), { width: g.width, height: g.height, rgb: g.rgb }, fs);
  }

  private checkpoint(model: BasModel, optimizer: AdamW, lr: LRScheduler, ema: EMA, gen: Generator, step: number): void {
    const state: PretrainState = { format: 'bas-ts-pretrain-1', global_step: step, generator: gen.get_state(), ema_step: ema.step, lr_scheduler: lr.state_dict(), args: { ...this.args } };
    const dir = outputPath(this.sink, `checkpoint-${step}`);
    try {
      savePretrainCheckpoint(dir, model, optimizer, ema, state, this.sink.files);
    } catch (e) {
      throw writeFailure(e, `checkpoint ${dir}`, this.sink.dir, PRETRAIN_STATE_FILE, this.sink.files);
    }
  }
}

/**
 * The text encoder paired with each UNet config: the world's vocabulary always, its width the
 * UNet's cross_attention_dim (the `tiny` pair exists so tests can pretrain in milliseconds).
 */
export function pretrainTextEncoderConfig(config: UNetConfigName, vocab_size: number): Partial<CLIPTextConfig> {
  const t = textEncoderConfig('default');
  if (config === 'default') return { ...t, vocab_size };
  const width = unetConfig(config).cross_attention_dim as number;
  return { ...t, vocab_size, hidden_size: width, intermediate_size: 4 * width, num_hidden_layers: 1, num_attention_heads: 2 };
}

/** Scenes' RGB bytes as (B, 3, H, W) floats in [-1, 1], the model's pixel range. */
export function scenePixels(scenes: readonly { rgb: Uint8Array }[], res: number): Float32Array {
  const px = new Float32Array(scenes.length * 3 * res * res);
  scenes.forEach((s, b) => {
    for (let p = 0; p < res * res; p++) for (let c = 0; c < 3; c++) px[(b * 3 + c) * res * res + p] = s.rgb[p * 3 + c]! / 127.5 - 1;
  });
  return px;
}

/** Per-pixel loss weights (batch, H * W): k on any object's pixels, 1 elsewhere, scaled to mean 1 per image. */
export function pixelWeights(scenes: readonly { masks: Uint8Array[] }[], res: number, k: number): Float32Array {
  const out = new Float32Array(scenes.length * res * res);
  scenes.forEach((s, b) => {
    let sum = 0;
    for (let p = 0; p < res * res; p++) {
      const w = s.masks.some((m) => m[p]! > 0) ? k : 1;
      out[b * res * res + p] = w;
      sum += w;
    }
    const scale = (res * res) / sum;
    for (let p = 0; p < res * res; p++) out[b * res * res + p]! *= scale;
  });
  return out;
}

/** Heads of the caption's attention pooling: diffusers' default of 64 would leave one channel per head at width 64. */
const ADDITION_EMBED_HEADS = 4;

function freshModel(a: PretrainConfig): BasModel {
  const gen = new Generator(a.seed);
  const tokenizer = new CLIPTokenizer({ model_max_length: textEncoderConfig('default').max_position_embeddings ?? 24 });
  const u = unetConfig(a.config);
  const sample_size = a.resolution ?? Math.max(32, u.sample_size ?? 32);
  if (!(sample_size > 0 && sample_size % 32 === 0)) throw new InputError((n) => `${n('resolution')}: the world draws scenes at multiples of 32 pixels, got ${sample_size}`);
  const global = a.addition_embed_type === 'text' ? { addition_embed_type: 'text' as const, addition_embed_type_num_heads: ADDITION_EMBED_HEADS } : {};
  const unet = new UNet2DConditionModel({ ...u, sample_size, ...global, conv_padding_mode: a.conv_padding_mode ?? 'zeros', resnet_time_scale_shift: a.resnet_time_scale_shift ?? 'default' }, { generator: gen });
  const scheduler_config = { _class_name: 'DDIMScheduler', ...pretrainSchedulerConfig(a.beta_schedule, a.prediction_type) };
  // drawn even when a pretrained encoder replaces it, so the UNet's init does not depend on the choice
  const text_encoder = new CLIPTextModel(pretrainTextEncoderConfig(a.config, tokenizer.length), { generator: gen });
  if (a.text_encoder_name_or_path === undefined) return { unet, text_encoder, tokenizer, scheduler_config };
  return { unet, ...pretrainedTextEncoder(a.text_encoder_name_or_path, unet), scheduler_config };
}

/** A `bas pretrain-clip` output (or any pipeline folder) whose encoder fits the UNet's cross-attention. */
function pretrainedTextEncoder(dir: string, unet: UNet2DConditionModel): Pick<BasModel, 'text_encoder' | 'tokenizer'> {
  let loaded;
  try {
    loaded = load_text_encoder(dir);
  } catch (e) {
    throw new InputError((n) => `${n('text_encoder_name_or_path')}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const width = unet.config.cross_attention_dim;
  if (loaded.text_encoder.config.hidden_size !== width) {
    throw new InputError((n) => `${n('text_encoder_name_or_path')}: ${dir} holds a text encoder of width ${loaded.text_encoder.config.hidden_size}; the UNet's cross-attention reads width ${String(width)}`);
  }
  return loaded;
}

function startingModel(dir: string): BasModel {
  try {
    return loadModel(dir);
  } catch (e) {
    throw new InputError((n) => `${n('pretrained_model_name_or_path')}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
