// The Break-A-Scene training loop: two phases (textual inversion, then UNet + text encoder), the
// union-sampled instance batch beside the class batch, the full loss (loss.ts), clipping, AdamW,
// the LR schedule, phase-1 row restore, metrics.jsonl, checkpoints with exact resume, Ctrl-C,
// and a stop with the culprit named on a non-finite loss. Everything it writes (checkpoints, the
// model, metrics.jsonl, image logs, the report) goes into its output sink (output_sink.ts): the
// output_dir of the platform's files unless the caller gives another, such as a memorySink().
import { truncateJsonl } from '../io/jsonl.js';
import { Generator, tensor, tidy, type StepProfiler, type Tensor } from '../../core/index.js';
import { AdamW } from '../../nn/optim/adamw.js';
import { clip_grad_norm_ } from '../../nn/optim/clip_grad.js';
import { get_scheduler, type LRScheduler, type ScheduleName } from '../../nn/optim/lr_schedule.js';
import type { Files } from '../../platform/files.js';
import { files, getPlatform } from '../../platform/platform.js';
import { AttentionStore, MAX_STORED_PIXELS } from '../attention/attention_store.js';
import { register_attention_control } from '../attention/register_attention_control.js';
import { useBackend } from '../backend.js';
import { InputError } from '../errors.js';
import { instancePrompt } from '../data/union_sampling.js';
import { loadInstanceFolder, type InstanceFolder } from '../io/instance.js';
import { complement_of_union } from '../data/background_mask.js';
import { CONFIG_FILE, writeRunReport } from '../report/run_folder.js';
import { to_json_text, write_file_atomic } from '../../nn/fs_atomic.js';
import { loadBaseModel, defaultAttnRes, sample, samplingOf, saveModel, tokenizePrompts, trainingScheduler, type BasModel } from '../model.js';
import { labelsFromTokens, renderAttentionRow, writePngAtomic } from '../vis/index.js';
import { rgbImagesOf } from '../io/pixels.js';
import { writePng } from '../io/png.js';
import { validateTrainConfig, type TrainConfig } from './config.js';
import { openCheckpoint, saveCheckpoint, STATE_FILE, type LoadedCheckpoint } from './checkpoint.js';
import { checkpointDir, freshStartForLatest, listCheckpoints, pruneCheckpoints, removeStaleTemps, writeFailure } from './checkpoint_folder.js';
import { ensureClassImages, loadClassImages } from './class_images.js';
import { folderSink, outputPath, type OutputSink } from './output_sink.js';
import { checkNotLocked, withRunLock } from './run_lock.js';
import { breakASceneLoss, LOSS_TERM_LABELS, lossTermValues, meanTermValues, type LossResult, type LossTermValues } from './loss.js';
import { drawMicroBatches, type StepData } from './batch.js';
import { recordLayerMaps, type LayerMapsRecord } from './attention_maps.js';
import { checkValidationPrompts, validatesAt, validationSamples } from './validation.js';
import { writeAttentionMaps, writeValidation } from './run_outputs.js';
import { addPlaceholderTokens } from './placeholders.js';
import { checkResolution } from './resolution.js';
import { Progress } from './progress.js';

/** One line of metrics.jsonl: the step, the loss and each of its terms (loss.ts), lr, gradient norm, IoU. */
export type MetricsLine = { step: number; phase: 1 | 2; loss: number } & LossTermValues & {
  lr: number;
  grad_norm: number;
  /** Per instance sample: the concepts in the prompt and their attention IoU. */
  concepts: { ids: number[]; iou: number[] }[];
};

/** What onStep is given beside the metrics line: the model under training (to probe or sample it
 * between steps, as a live view does; its weights are the trainer's to change) and the tokens. */
export interface LiveRun {
  model: BasModel;
  placeholder_tokens: readonly string[];
  placeholder_ids: readonly number[];
}

export class NonFiniteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NonFiniteError';
  }
}

export interface TrainResult {
  steps: number;
  interrupted: boolean;
  output_dir: string;
  last: MetricsLine | null;
}

type Data = StepData;

/** The state of a run that resume restores: everything else is rebuilt from the configuration. */
interface RunState {
  model: BasModel;
  /** The checkpoint a resumed run started from. */
  resumed: LoadedCheckpoint | null;
  placeholders: { tokens: string[]; ids: number[] };
  origEmbeds: Tensor;
  gen: Generator;
  /** Steps done: the next step's 0-based index. */
  step: number;
}

/** Everything a step works with: the restored state, the data, and what the loop set up around them. */
interface Run extends RunState {
  data: Data;
  store: AttentionStore;
  noiseScheduler: ReturnType<typeof trainingScheduler>;
  /** The current phase's optimizer and schedule (phase 2 replaces phase 1's). */
  optimizer: AdamW;
  lr: LRScheduler;
  attn_res: number;
  resolution: number;
}

export class BreakASceneTrainer {
  private stopRequested = false;
  private readonly log: (msg: string) => void;
  private readonly onStep: ((line: MetricsLine, live: LiveRun) => void) | undefined;
  private readonly profiler: StepProfiler | null;
  /** Where the run's outputs go, and where a resume finds its checkpoints. */
  readonly sink: OutputSink;

  /** `onStep` is called after every step with its metrics line and the live model (progress displays, tests, a live view);
   * `profiler` (a StepProfiler) is told each step's start, so a profile is of real steps;
   * `sink` receives the outputs (default: folderSink(args.output_dir)). */
  constructor(
    readonly args: TrainConfig,
    opts: { log?: (msg: string) => void; onStep?: (line: MetricsLine, live: LiveRun) => void; profiler?: StepProfiler; sink?: OutputSink } = {},
  ) {
    this.log = opts.log ?? ((m) => console.log(m));
    this.onStep = opts.onStep;
    this.profiler = opts.profiler ?? null;
    this.sink = opts.sink ?? folderSink(args.output_dir);
  }

  /** Asks the loop to checkpoint and stop after the current step (Ctrl-C). */
  requestStop(): void {
    this.stopRequested = true;
  }

  get totalSteps(): number {
    return this.args.phase1_train_steps + this.args.phase2_train_steps;
  }

  private phaseAt(step: number): 1 | 2 {
    return step < this.args.phase1_train_steps ? 1 : 2;
  }

  async train(): Promise<TrainResult> {
    const a = this.args;
    // a configuration built by hand, not by trainConfig, is checked too
    validateTrainConfig(a);
    if (a.backend) useBackend(a.backend);
    // a folder another run is writing is refused before anything else is said about it
    checkNotLocked(this.sink.dir, this.sink.files);

    // everything that can reject the input (model, checkpoint, folder, tokens) runs before the
    // first write, so bad input leaves no output folder behind (or an existing one untouched)
    const state = this.setupRun();
    const { model } = state;
    const resolution = a.resolution ?? model.unet.config.sample_size ?? 32;
    checkResolution(model, resolution);
    const instance = this.loadInstance(resolution);
    const withMaps = mapResolutions(model, resolution);
    // default: the largest grid with cross-attention at the working resolution (16 for `default`)
    const attn_res = a.attn_res ?? (withMaps.length > 0 ? Math.max(...withMaps) : defaultAttnRes(model));
    validateAgainstModel(model, state.placeholders.tokens, attn_res, withMaps);
    checkValidationPrompts(model, a.validation_prompt, this.log);
    const startStep = state.step;
    const { optimizer, lr } = this.makeOptimizer(model, this.phaseAt(startStep));
    // a checkpoint taken on the last phase-1 step holds the phase-1 optimizer: phase 2 starts fresh
    if (state.resumed && this.phaseAt(startStep - 1) === this.phaseAt(startStep)) state.resumed.restoreOptimizer(optimizer, lr);

    const { files: fs, dir: out } = this.sink;
    fs.mkdirp(out);
    // one run at a time in a folder: a second one refuses instead of interleaving its writes
    return withRunLock(out, this.log, fs, () => this.trainLocked(state, optimizer, lr, instance, attn_res, resolution));
  }

  /** The run once the input is accepted and the output folder is this run's: class images, the loop, the final model. */
  private async trainLocked(state: RunState, optimizer: AdamW, lr: LRScheduler, instance: InstanceFolder, attn_res: number, resolution: number): Promise<TrainResult> {
    const a = this.args;
    const { model } = state;
    const startStep = state.step;
    const { files: fs, dir: out } = this.sink;
    removeStaleTemps(out, this.log, fs);
    const data = await this.loadData(model, instance, resolution);
    if (data === null) {
      this.log(`interrupted while generating class images: those written are kept in ${this.classImages().dir} and reused by the next run`);
      return { steps: state.step, interrupted: true, output_dir: out, last: null };
    }
    // the run's flags beside its outputs, for `bas report` and for whoever reads the folder later
    // (written once training starts: an interrupted class-image pass leaves only its images)
    write_file_atomic(outputPath(this.sink, CONFIG_FILE), to_json_text(a), fs);
    const store = new AttentionStore();
    store.original_quirk = a.attention_store_quirk;
    register_attention_control(model.unet, store);
    const run: Run = { ...state, data, store, noiseScheduler: trainingScheduler(model), optimizer, lr, attn_res, resolution };
    const metricsPath = outputPath(this.sink, 'metrics.jsonl');
    truncateJsonl(metricsPath, run.step, fs);
    const progress = new Progress(this.totalSteps, run.step);
    let last: MetricsLine | null = null;
    let lastAttention: Tensor | null = null;
    let lastPrompt: number[] = [];

    for (let step = run.step; step < this.totalSteps; step++) {
      if (step === a.phase1_train_steps && step !== startStep) {
        ({ optimizer: run.optimizer, lr: run.lr } = this.makeOptimizer(model, 2));
      }
      const phase = this.phaseAt(step);
      await this.profiler?.step();
      // one scope per step: on a GL backend every texture the step made but the updated
      // parameters (assign_ keeps those) is released when it closes; only numbers and a host copy
      // of the first sample's attention maps (for the logged PNGs) leave it
      const wantMaps = a.save_attention_maps && ((step + 1) % a.attention_maps_steps === 0 || step + 1 === this.totalSteps);
      const { line, prompt, attention, layers } = tidy(() => {
        const r = this.step(run, wantMaps);
        const att = r.result.attention[0];
        return { line: r.line, prompt: r.prompt, layers: r.layers, attention: att ? tensor(att.data, { shape: att.shape, dtype: att.dtype }) : null };
      });
      fs.appendText(metricsPath, `${JSON.stringify(line)}\n`);
      this.onStep?.(line, { model, placeholder_tokens: run.placeholders.tokens, placeholder_ids: run.placeholders.ids });
      progress.update(step + 1, `phase ${phase}`, line);
      last = line;
      lastAttention = attention;
      lastPrompt = prompt;
      run.step = step + 1;

      const checkpointed = a.checkpointing_steps > 0 && run.step % a.checkpointing_steps === 0 && run.step < this.totalSteps;
      if (checkpointed) this.checkpoint(run);
      if (a.log_checkpoints && phase === 2 && run.step % a.img_log_steps === 0) this.imageLogs(run, lastAttention, lastPrompt, attn_res);
      if (layers) writeAttentionMaps(this.sink, run.step, phase, layers);
      if (validatesAt(a, run.step, this.totalSteps)) {
        this.log(`validation at step ${run.step}: wrote ${writeValidation(this.sink, run.step, validationSamples(model, a, attn_res), a)}`);
      }
      // let a pending Ctrl-C reach its handler between steps
      await getPlatform().nextTurn();
      // a stop asked for during the last step just lets the run finish: the model is saved below
      if (this.stopRequested && run.step < this.totalSteps) {
        progress.done();
        // not again when this step's checkpoint was just written (rewriting it is a window without it)
        if (!checkpointed) this.checkpoint(run);
        this.log(`interrupted: checkpoint saved at step ${run.step} in ${checkpointDir(out, run.step, fs)}`);
        return { steps: run.step, interrupted: true, output_dir: out, last };
      }
    }
    progress.done();
    await this.profiler?.finish();
    try {
      saveModel(out, model, fs);
    } catch (e) {
      throw writeFailure(e, `the model in ${out}`, out, STATE_FILE, fs);
    }
    if (lastAttention) {
      this.saveAttention(outputPath(this.sink, 'img_logs', 'final_step_attn.png'), model, lastAttention, lastPrompt);
    }
    this.log(`wrote ${writeRunReport(out, fs)}`);
    const rss = getPlatform().peakMemoryMiB();
    this.log(`saved the fine-tuned model (tokens ${run.placeholders.tokens.join(' ')}) to ${out}${rss === null ? '' : `; peak RSS ${rss} MiB`}`);
    return { steps: run.step, interrupted: false, output_dir: out, last };
  }

  /** Base model + placeholder tokens, or everything from a checkpoint. */
  private setupRun(): RunState {
    const a = this.args;
    const { files: fs, dir: out } = this.sink;
    if (a.resume_from_checkpoint && !this.freshStartForLatest()) {
      const { dir, checkpoint: ck } = openCheckpoint(a.resume_from_checkpoint, out, this.log, fs);
      if (ck.state.placeholder_tokens.length !== numConcepts(a)) {
        throw new InputError((n) => `checkpoint ${dir} has ${ck.state.placeholder_tokens.length} concepts, ${n('num_of_assets')} is ${a.num_of_assets}${a.extract_background ? ` (+1 for ${n('extract_background')})` : ''}`);
      }
      const gen = new Generator(a.seed).set_state(ck.state.generator);
      this.log(`resuming from ${dir} at step ${ck.state.global_step}`);
      return { model: ck.model, resumed: ck, placeholders: { tokens: ck.state.placeholder_tokens, ids: ck.state.placeholder_ids }, origEmbeds: ck.origEmbeds, gen, step: ck.state.global_step };
    }
    const stale = listCheckpoints(out, STATE_FILE, fs);
    if (stale.length > 0) {
      // `latest` would later pick an old run's checkpoint: continue that run or use another folder
      throw new InputError((n) => `${n('output_dir')} ${out} already holds checkpoints of an earlier run (checkpoint-${stale[stale.length - 1]}); pass ${n('resume_from_checkpoint')} latest to continue it, or choose another ${n('output_dir')}`);
    }
    const gen = new Generator(a.seed);
    const model = loadBaseModel(a.pretrained_model_name_or_path, a.seed, (m) => this.log(m));
    // the background's token starts from the word "background" when the others start from words
    const words = a.extract_background && a.initializer_tokens.length === a.num_of_assets ? [...a.initializer_tokens, 'background'] : a.initializer_tokens;
    const placeholders = addPlaceholderTokens(model.tokenizer, model.text_encoder, numConcepts(a), words, gen, a.placeholder_token);
    // the phase-1 restore source: the table right after the new rows were initialised
    const origEmbeds = model.text_encoder.get_input_embeddings().weight.detach().mul(1);
    return { model, resumed: null, placeholders, origEmbeds, gen, step: 0 };
  }

  /** `latest` in a folder without a complete checkpoint or a finished model starts from step 0 (checkpoint_folder.ts). */
  private freshStartForLatest(): boolean {
    const { files: fs, dir: out } = this.sink;
    return freshStartForLatest(this.args.resume_from_checkpoint, out, STATE_FILE, out, this.log, fs);
  }

  /** The image and its masks, with the background's mask last when it is extracted. */
  private loadInstance(resolution: number): InstanceFolder {
    const a = this.args;
    let inst: InstanceFolder;
    try {
      inst = loadInstanceFolder(a.instance_data_dir, { resolution, numOfAssets: a.num_of_assets, notice: this.log, centerCrop: a.center_crop });
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new InputError((n) => why.replaceAll('numOfAssets', n('num_of_assets')));
    }
    if (!a.extract_background) return inst;
    const background = complement_of_union(inst.masks);
    const share = background.mean().item();
    if (!(share > 0)) {
      throw new InputError((n) => `${n('extract_background')}: the masks of ${a.instance_data_dir} cover the whole image at ${resolution}x${resolution}, so there is no background to learn`);
    }
    this.log(`background: concept ${a.num_of_assets} learns what no mask covers (${(100 * share).toFixed(0)}% of the image)`);
    return { ...inst, masks: [...inst.masks, background] };
  }

  /** An explicit class_data_dir is an input folder of the platform's files; the default is the run's own class_images/. */
  private classImages(): { files: Files; dir: string } {
    const dir = this.args.class_data_dir;
    return dir === undefined ? { files: this.sink.files, dir: outputPath(this.sink, 'class_images') } : { files: files(), dir };
  }

  /**
   * The instance image and masks, and with prior preservation the class images (generated once);
   * null when a stop was asked for while class images were generated.
   */
  private async loadData(model: BasModel, inst: InstanceFolder, resolution: number): Promise<Data | null> {
    const a = this.args;
    if (a.no_prior_preservation) return { image: inst.image, masks: inst.masks, classImages: null, classIds: null };
    // the class prompt does not use the new tokens, so this is the base model's own picture of it
    const where = this.classImages();
    const paths = await ensureClassImages(model, {
      ...where,
      prompt: a.class_prompt,
      count: a.num_class_images,
      batch: a.sample_batch_size,
      seed: a.seed,
      num_inference_steps: a.num_inference_steps,
      guidance_scale: a.guidance_scale,
      eta: a.eta,
      log: this.log,
      shouldStop: () => this.stopRequested,
    });
    if (paths === null) return null;
    return { image: inst.image, masks: inst.masks, classImages: loadClassImages(paths, resolution, where.files), classIds: tokenizePrompts(model, [a.class_prompt])[0]! };
  }

  /** Phase 1: token embeddings only, at initial_learning_rate. Phase 2: UNet + text encoder (or embeddings). */
  private makeOptimizer(model: BasModel, phase: 1 | 2): { optimizer: AdamW; lr: LRScheduler } {
    const a = this.args;
    const emb = model.text_encoder.get_input_embeddings().weight;
    model.unet.requires_grad_(phase === 2);
    model.text_encoder.requires_grad_(phase === 2 && !a.no_train_text_encoder);
    emb.requires_grad = true;
    const params = phase === 1 ? [emb] : [...model.unet.parameters(), ...(a.no_train_text_encoder ? [emb] : model.text_encoder.parameters())];
    const optimizer = new AdamW(params, {
      lr: phase === 1 ? a.initial_learning_rate : a.learning_rate,
      betas: [a.adam_beta1, a.adam_beta2],
      eps: a.adam_epsilon,
      weight_decay: a.adam_weight_decay,
    });
    // as diffusers' get_scheduler: num_cycles for the restarts only, power for the polynomial only
    const lr = get_scheduler(a.lr_scheduler as ScheduleName, optimizer, {
      num_warmup_steps: a.lr_warmup_steps,
      num_training_steps: this.totalSteps,
      ...(a.lr_scheduler === 'cosine_with_restarts' ? { num_cycles: a.lr_num_cycles } : {}),
      ...(a.lr_scheduler === 'polynomial' ? { power: a.lr_power } : {}),
    });
    return { optimizer, lr };
  }

  /**
   * Optimizer step `run.step` (0-based): draw its examples, then per micro-batch the loss (divided
   * by gradient_accumulation_steps, as accelerate does) and its backward, then clip and update once;
   * `run.step` itself is the caller's to advance. `withLayerMaps`: also record the first
   * micro-batch's cross-attention per layer (--save_attention_maps).
   */
  private step(run: Run, withLayerMaps: boolean): { result: LossResult; line: MetricsLine; prompt: number[]; layers: LayerMapsRecord | null } {
    const a = this.args;
    const { model, gen, data, store, noiseScheduler, optimizer, lr, attn_res, resolution, step } = run;
    const phase = this.phaseAt(step);
    const G = a.gradient_accumulation_steps;
    const micro = drawMicroBatches(gen, data, {
      placeholder_tokens: run.placeholders.tokens,
      union_sampling: !a.no_union_sampling,
      batch_size: a.train_batch_size,
      micro_batches: G,
      step,
      resolution,
      dtype: model.unet.dtype,
      num_train_timesteps: noiseScheduler.config.num_train_timesteps,
      tokenize: (prompts) => tokenizePrompts(model, prompts),
    });
    const results: LossResult[] = [];
    let layers: LayerMapsRecord | null = null;
    for (const mb of micro) {
      const result = breakASceneLoss(
        { unet: model.unet, text_encoder: model.text_encoder, store, scheduler: noiseScheduler, instance: mb.instance, prior: mb.prior, noise: mb.noise, timesteps: mb.timesteps },
        {
          lambda_attention: a.lambda_attention,
          prior_loss_weight: a.prior_loss_weight,
          apply_masked_loss: !a.do_not_apply_masked_loss,
          placeholder_token_ids: run.placeholders.ids,
          attn_res,
        },
      );
      this.checkFinite(lossTermValues(result.terms), step);
      (G > 1 ? result.loss.div(G) : result.loss).backward();
      if (withLayerMaps && layers === null) {
        const n = mb.samples.length;
        layers = recordLayerMaps(store, { prompts: mb.samples.map((s) => s.prompt), input_ids: mb.instance.input_ids, concept_ids: mb.instance.concept_ids, timesteps: mb.timesteps.slice(-n) }, run.placeholders);
      }
      store.reset();
      results.push(result);
    }
    const params = optimizer.param_groups.flatMap((g) => g.params);
    const grad_norm = this.section('optimizer', () => {
      const norm = clip_grad_norm_(params, a.max_grad_norm);
      if (!Number.isFinite(norm)) throw new NonFiniteError(`non-finite gradient norm (${norm}) at step ${step + 1}; stopping before the update`);
      optimizer.step();
      lr.step();
      optimizer.zero_grad();
      return norm;
    });
    if (phase === 1) restoreRows(model, run.origEmbeds, run.placeholders.ids);

    const line: MetricsLine = {
      step: step + 1,
      phase,
      // the mean over micro-batches, which is the loss of the whole step's batch
      loss: results.reduce((s, r) => s + r.loss.item(), 0) / results.length,
      ...meanTermValues(results.map((r) => lossTermValues(r.terms))),
      lr: optimizer.param_groups[0]!.lr,
      grad_norm,
      concepts: micro.flatMap((mb, m) => mb.samples.map((s, i) => ({ ids: s.token_ids, iou: results[m]!.iou[i]!.map((v) => Math.round(v * 1e4) / 1e4) }))),
    };
    return { result: results[0]!, line, prompt: micro[0]!.instance.input_ids[0]!, layers };
  }

  /** A non-finite loss term stops the run, naming the term, the step and the last good checkpoint. */
  private checkFinite(terms: LossTermValues, step: number): void {
    for (const [name, v] of Object.entries(terms) as [keyof LossTermValues, number | null][]) {
      if (v !== null && !Number.isFinite(v)) {
        const kept = listCheckpoints(this.sink.dir, STATE_FILE, this.sink.files);
        throw new NonFiniteError(`non-finite ${LOSS_TERM_LABELS[name]} (${v}) at step ${step + 1}; stopping. ${kept.length ? `Last good checkpoint: ${checkpointDir(this.sink.dir, kept[kept.length - 1]!, this.sink.files)}` : 'No checkpoint was written yet.'}`);
      }
    }
  }

  private section<T>(name: string, fn: () => T): T {
    return this.profiler ? this.profiler.section(name, fn) : fn();
  }

  private checkpoint(run: Run): void {
    const { files: fs, dir: out } = this.sink;
    const state = { global_step: run.step, generator: run.gen.get_state(), placeholder_tokens: run.placeholders.tokens, placeholder_ids: run.placeholders.ids };
    try {
      saveCheckpoint(checkpointDir(out, run.step, fs), run.model, run.optimizer, run.lr, run.origEmbeds, state, fs);
    } catch (e) {
      throw writeFailure(e, `checkpoint ${checkpointDir(out, run.step, fs)}`, out, STATE_FILE, fs);
    }
    pruneCheckpoints(out, this.args.checkpoints_total_limit, STATE_FILE, fs);
  }

  /** --log_checkpoints: the model, the last step's attention, and a full sample with its attention. */
  private imageLogs(run: RunState, lastAttention: Tensor | null, prompt: number[], attn_res: number): void {
    const a = this.args;
    const fs = this.sink.files;
    const tag = String(run.step).padStart(5, '0');
    saveModel(outputPath(this.sink, 'checkpoints', tag), run.model, fs);
    const logs = outputPath(this.sink, 'img_logs');
    if (a.lambda_attention !== 0 && lastAttention) this.saveAttention(fs.join(logs, `${tag}_step_attn.png`), run.model, lastAttention, prompt);
    const text = run.model.tokenizer.decode(prompt, { skip_special_tokens: true });
    const out = sample(run.model, { prompt: text, seed: a.seed, ...samplingOf(a), record_attention: true, attn_res });
    const img = rgbImagesOf(out.images)[0]!;
    fs.mkdirp(logs);
    writePng(fs.join(logs, `${tag}_full_pred.png`), img, fs);
    if (out.attention) this.saveAttention(fs.join(logs, `${tag}_full_attn.png`), run.model, out.attention, out.input_ids);
  }

  private saveAttention(path: string, model: BasModel, attention: Tensor, ids: number[]): void {
    const fs = this.sink.files;
    fs.mkdirp(fs.dirname(path));
    const tokens = model.tokenizer.convert_ids_to_tokens(ids);
    writePngAtomic(path, renderAttentionRow(attention, labelsFromTokens(tokens)), fs);
  }
}

/** Phase 1 trains only the new rows: every other row goes back to its saved value. */
function restoreRows(model: BasModel, orig: Tensor, keep: readonly number[]): void {
  const w = model.text_encoder.get_input_embeddings().weight;
  const cur = w.data;
  const src = orig.data;
  const dim = w.dim(1);
  const keepSet = new Set(keep);
  const next = cur.slice();
  for (let r = 0; r < w.dim(0); r++) if (!keepSet.has(r)) next.set(src.subarray(r * dim, (r + 1) * dim), r * dim);
  w.assign_(next);
}

/** The grids (side length) at which the store keeps down and up cross-attention, for images of `resolution`. */
function mapResolutions(model: BasModel, resolution: number): number[] {
  return model.unet.config.down_block_types.flatMap((t, i) => (t === 'CrossAttnDownBlock2D' ? [resolution / 2 ** i] : [])).filter((r) => r * r <= MAX_STORED_PIXELS);
}

/** The longest instance prompt must fit the tokenizer (else a token would be cut off), and attn_res must have maps. */
function validateAgainstModel(model: BasModel, tokens: readonly string[], attn_res: number, withMaps: readonly number[]): void {
  const prompt = instancePrompt(tokens);
  const needed = model.tokenizer.encode(prompt).length;
  const max = model.tokenizer.model_max_length;
  if (needed > max) throw new InputError((n) => `${n('num_of_assets')} ${tokens.length}: the prompt "${prompt}" needs ${needed} tokens, the model's tokenizer holds ${max}`);
  if (!withMaps.includes(attn_res)) throw new InputError((n) => `${n('attn_res')} ${attn_res}: the model has cross-attention maps at ${withMaps.map((r) => `${r}x${r}`).join(', ') || 'no resolution'} in its down and up blocks`);
}

/** Concepts trained: the masks given, and the background when it is extracted. */
function numConcepts(a: TrainConfig): number {
  return a.num_of_assets + (a.extract_background ? 1 : 0);
}
