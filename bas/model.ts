// The text-to-image model Break-A-Scene starts from and produces: UNet + text encoder + tokenizer
// (+ the scheduler config), in diffusers' pipeline layout on disk. Prompt encoding and sampling
// with classifier-free guidance live here so training, class images and `bas generate` agree.
import { Generator, type DType, type Tensor } from '../core/index.js';
import { DDIMScheduler, DDPMScheduler, SD_SCHEDULER_CONFIG, TextToImagePipeline, type StepInfo, type TextToImageOptions } from '../diffusion/index.js';
import { CLIPTextModel } from '../nn/clip/text_model.js';
import { textEncoderConfig, unetConfig } from '../nn/configs.js';
import { from_pretrained, save_pretrained } from '../nn/pipeline.js';
import { CLIPTokenizer } from '../nn/tokenizer/clip_tokenizer.js';
import { UNet2DConditionModel } from '../nn/unet/unet_2d_condition.js';
import type { Files } from '../platform/files.js';
import { files, getPlatform } from '../platform/platform.js';
import { AttentionStore } from './attention/attention_store.js';
import { StepAttentionStore, type StepLayerMap } from './attention/step_attention_store.js';
import { register_attention_control } from './attention/register_attention_control.js';
import { aggregate_attention } from './attention/aggregate_attention.js';
import { InputError } from './errors.js';
import { checkLoadedModel } from './model_checks.js';

export interface BasModel {
  unet: UNet2DConditionModel;
  text_encoder: CLIPTextModel;
  tokenizer: CLIPTokenizer;
  scheduler_config: Record<string, unknown>;
}

/** Where the repository's shipped base model (issue 6) lies, or null on a platform without the
 * repository (a browser). Asked on use, so loading the library touches no files. */
export function shippedBaseModel(): string | null {
  const p = getPlatform();
  return p.projectRoot === null ? null : p.files.join(p.projectRoot, 'models', 'base');
}

/** A seeded, randomly initialised model of the `default` config: the stand-in until a pretrained one ships. */
export function randomBaseModel(seed: number, dtype: DType = 'float32'): BasModel {
  const gen = new Generator(seed);
  const t = textEncoderConfig('default');
  const tokenizer = new CLIPTokenizer({ model_max_length: t.max_position_embeddings ?? 24 });
  const unet = new UNet2DConditionModel(unetConfig('default'), { dtype, generator: gen });
  const text_encoder = new CLIPTextModel({ ...t, vocab_size: tokenizer.length }, { dtype, generator: gen });
  return { unet, text_encoder, tokenizer, scheduler_config: { _class_name: 'DDIMScheduler', ...SD_SCHEDULER_CONFIG } };
}

/**
 * `path` when given; else the shipped base model when the repository has one; else a seeded random
 * `default` model, with a one-line warning (nothing is pretrained yet).
 */
export function loadBaseModel(path: string | undefined, seed: number, warn: (msg: string) => void = console.warn): BasModel {
  if (path !== undefined) return loadModel(path);
  const shipped = shippedBaseModel();
  if (shipped !== null && files().exists(files().join(shipped, 'model_index.json'))) return loadModel(shipped);
  warn(`warning: no pretrained base model; using a randomly initialised 'default' model (seed ${seed})`);
  return randomBaseModel(seed);
}

/** A model folder that is missing, incomplete or whose weights do not fit its configs is bad input. */
export function loadModel(dir: string, fs: Files = files()): BasModel {
  let p;
  try {
    p = from_pretrained(dir, { files: fs });
  } catch (e) {
    // one line: load_state_dict lists missing and unexpected keys on lines of their own
    const why = (e instanceof Error ? e.message : String(e)).split('\n').map((l) => l.trim()).filter((l) => l !== '').join('; ');
    throw new InputError(`cannot load the model at ${dir}: ${why}`);
  }
  const m: BasModel = { unet: p.unet, text_encoder: p.text_encoder, tokenizer: p.tokenizer, scheduler_config: p.scheduler_config as Record<string, unknown> };
  checkLoadedModel(dir, m, p.model_index);
  return m;
}

export function saveModel(dir: string, m: BasModel, fs: Files = files()): void {
  save_pretrained(dir, { unet: m.unet, text_encoder: m.text_encoder, tokenizer: m.tokenizer, scheduler_config: m.scheduler_config }, fs);
}

export function tokenizePrompts(m: BasModel, prompts: readonly string[]): number[][] {
  return prompts.map((p) => m.tokenizer.encode(p, { padding: 'max_length', truncation: true }));
}

/** last_hidden_state of the text encoder on the padded prompts: (N, max_length, hidden). */
export function encodePrompts(m: BasModel, prompts: readonly string[]): Tensor {
  return m.text_encoder.forward(tokenizePrompts(m, prompts)).last_hidden_state;
}

/** The training noise scheduler: SD's scaled_linear betas over 1000 steps. */
export function trainingScheduler(m: BasModel): DDPMScheduler {
  return DDPMScheduler.from_config({ ...SD_SCHEDULER_CONFIG, ...m.scheduler_config });
}

/** How each picture is drawn, whatever its prompt: DDIM steps, guidance and the two knobs on it. */
export interface SamplingOptions {
  num_inference_steps?: number;
  guidance_scale?: number;
  /** diffusers' guidance_rescale (0, off, by default): TextToImageOptions.guidance_rescale. */
  guidance_rescale?: number;
  /**
   * DDIM's eta (0 by default, diffusers' too): 0 follows the deterministic DDIM path, 1 draws fresh
   * noise at every step with DDPM's variance (ancestral sampling), which lets later steps correct an
   * earlier step's error; pixel-space models of this project need it (docs/base_model.md).
   */
  eta?: number;
}

/** The sampling options of a larger options object (an eval's, a command's flags), to pass to `sample`. */
export function samplingOf(o: SamplingOptions): SamplingOptions {
  return { num_inference_steps: o.num_inference_steps, guidance_scale: o.guidance_scale, guidance_rescale: o.guidance_rescale, eta: o.eta };
}

export interface SampleOptions extends SamplingOptions {
  prompt: string;
  num_images?: number;
  seed: number;
  /** Record cross-attention of the conditional sample over all steps (for visualisation). */
  record_attention?: boolean;
  /** Also keep each step's cross-attention per layer of the first conditional image (`bas generate --save_attention_maps`). */
  record_step_attention?: boolean;
  attn_res?: number;
  callback?: (info: StepInfo) => void;
  /** Tensors a caller's own attention controller builds over the steps (its held_tensors()): each
   * denoising step runs in a scope that releases all else it made (TextToImageOptions.step_state). */
  step_state?: () => unknown;
  /** Local editing: the image to edit (1, 3, H, W) in [-1, 1] and where to draw (1, 1, H, W) in [0, 1]. */
  edit?: { image: Tensor; mask: Tensor; strength?: number };
}

export interface SampleResult {
  /** (N, 3, H, W) in [-1, 1]. */
  images: Tensor;
  /** Averaged cross-attention (res, res, tokens) of the first conditional image, when recorded. */
  attention: Tensor | null;
  input_ids: number[];
  /** With record_step_attention: per denoising step, its timestep and its cross-attention layers. */
  step_attention?: { timestep: number; layers: StepLayerMap[] }[];
}

/** The inference pipeline of a model: DDIM with the model folder's scheduler config on top of SD's (unknown keys are ignored). */
function pipelineOf(m: BasModel): TextToImagePipeline {
  return new TextToImagePipeline({
    unet: m.unet,
    encodePrompt: (prompts) => encodePrompts(m, prompts),
    scheduler: DDIMScheduler.from_config({ ...SD_SCHEDULER_CONFIG, ...m.scheduler_config }),
    channels: m.unet.config.in_channels,
    sample_size: m.unet.config.sample_size ?? 32,
  });
}

/** The pipeline's options for a sampling request, with the original's defaults (50 steps, guidance 7.5). */
function generateOptions(o: SampleOptions): TextToImageOptions {
  return {
    prompt: o.prompt,
    num_images_per_prompt: o.num_images ?? 1,
    num_inference_steps: o.num_inference_steps ?? 50,
    guidance_scale: o.guidance_scale ?? 7.5,
    guidance_rescale: o.guidance_rescale ?? 0,
    eta: o.eta ?? 0,
    generator: new Generator(o.seed),
    ...(o.edit ? { image: o.edit.image, mask_image: o.edit.mask, strength: o.edit.strength ?? 1 } : {}),
  };
}

/**
 * `sample`'s images (the same ones, without attention), letting the event loop run between DDIM
 * steps: null as soon as `shouldStop()` is true there (Ctrl-C while class images are generated).
 */
export async function sampleImagesAsync(m: BasModel, o: Omit<SampleOptions, 'record_attention' | 'attn_res' | 'callback'>, shouldStop: () => boolean): Promise<Tensor | null> {
  const out = await pipelineOf(m).generate_async(generateOptions(o), shouldStop);
  return out ? out.images : null;
}

/** DDIM sampling with classifier-free guidance (uncond "" and cond), as the original's inference. */
export function sample(m: BasModel, o: SampleOptions): SampleResult {
  const pipe = pipelineOf(m);
  const n = o.num_images ?? 1;
  const guidance = o.guidance_scale ?? 7.5;
  let store: AttentionStore | null = null;
  let previous = null;
  const timesteps: number[] = [];
  if (o.record_attention || o.record_step_attention) {
    store = o.record_step_attention ? new StepAttentionStore() : new AttentionStore();
    previous = register_attention_control(m.unet, store);
    // the batch is [uncond x n, cond x n] with guidance, [cond x n] without; keep the first cond
    const batch = guidance > 1 ? 2 * n : n;
    store.set_instance_samples([guidance > 1 ? n : 0], batch);
  }
  try {
    // what must outlive each step's scope: the store's sums (and per-step maps) and whatever the caller names
    const step_state = store || o.step_state ? (): unknown => [store?.held_tensors(), o.step_state?.()] : undefined;
    // the step recorder learns each step's timestep from the callback, which runs after every step
    const callback = o.record_step_attention ? (info: StepInfo): void => (timesteps.push(info.timestep), o.callback?.(info)) : o.callback;
    const out = pipe.generate({ ...generateOptions(o), ...(callback ? { callback } : {}), ...(step_state ? { step_state } : {}) });
    const attention = store ? aggregate_attention(store, o.attn_res ?? defaultAttnRes(m), ['up', 'down'], true, 0) : null;
    const result: SampleResult = { images: out.images, attention, input_ids: tokenizePrompts(m, [o.prompt])[0]! };
    if (store instanceof StepAttentionStore) result.step_attention = store.steps.map((layers, i) => ({ timestep: timesteps[i]!, layers }));
    return result;
  } finally {
    if (previous) m.unet.set_attn_processor(previous);
  }
}

/** The resolution the attention loss supervises: the largest grid that has attention (16 for `default`). */
export function defaultAttnRes(m: BasModel): number {
  const c = m.unet.config;
  const size = c.sample_size ?? 32;
  const i = c.down_block_types.findIndex((t) => t === 'CrossAttnDownBlock2D');
  return size / 2 ** Math.max(i, 0);
}

