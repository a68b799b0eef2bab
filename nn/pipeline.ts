// save_pretrained / from_pretrained in diffusers' StableDiffusionPipeline folder layout:
//   model_index.json
//   unet/config.json + unet/diffusion_pytorch_model.safetensors
//   text_encoder/config.json + text_encoder/model.safetensors
//   tokenizer/ (vocab.json, added_tokens.json, tokenizer_config.json, special_tokens_map.json)
//   scheduler/scheduler_config.json
// There is no vae: the project's model works in pixel space (see DESIGN.md).
//
// Saving never leaves a half-written pipeline that looks whole: everything is written to a
// sibling staging folder first. A new folder is then renamed into place in one step. An existing
// folder may hold other things (checkpoints, logs), so only the pipeline's own entries are swapped:
// model_index.json is removed first and put back last, so an interrupted save leaves a folder
// that from_pretrained refuses, naming the missing model_index.json.
import type { DType, Tensor } from '../core/index.js';
import type { Files } from '../platform/files.js';
import { files } from '../platform/platform.js';
import { read_json_object, temp_sibling, to_json_text, write_file_atomic } from './fs_atomic.js';
import { load_file, save_file } from './safetensors.js';
import { CLIPTextModel, type CLIPTextConfig } from './clip/text_model.js';
import { CLIPTokenizer } from './tokenizer/clip_tokenizer.js';
import { UNet2DConditionModel, type UNet2DConditionConfigInput } from './unet/unet_2d_condition.js';

/** What the pipeline needs of a model: its config and its weights by name. */
export interface PretrainedModule {
  readonly config: object;
  state_dict(): Record<string, Tensor>;
  load_state_dict(sd: Record<string, Tensor>, strict?: boolean): unknown;
}

export interface PipelineComponents<U extends PretrainedModule = PretrainedModule, T extends PretrainedModule = PretrainedModule> {
  unet: U;
  text_encoder: T;
  tokenizer: CLIPTokenizer;
  /** The scheduler's config with diffusers' keys; `_class_name` defaults to DDIMScheduler. */
  scheduler_config: Readonly<Record<string, unknown>>;
}

export interface LoadedPipeline<U extends PretrainedModule = PretrainedModule, T extends PretrainedModule = PretrainedModule> extends PipelineComponents<U, T> {
  model_index: Record<string, unknown>;
}

/** Builds an (untrained) model from a config read from disk; weights are loaded afterwards. */
export interface ModelFactories<U extends PretrainedModule, T extends PretrainedModule> {
  unet(config: Record<string, unknown>, dtype: DType): U;
  text_encoder(config: Record<string, unknown>, dtype: DType): T;
}

/** The library versions whose file layout this mirrors (written into the configs). */
export const DIFFUSERS_VERSION = '0.25.0';
export const TRANSFORMERS_VERSION = '4.36.0';

/** Paths inside the folder ('/' works on every platform, Windows included). */
export const PIPELINE_FILES = {
  model_index: 'model_index.json',
  unet_config: 'unet/config.json',
  unet_weights: 'unet/diffusion_pytorch_model.safetensors',
  text_encoder_config: 'text_encoder/config.json',
  text_encoder_weights: 'text_encoder/model.safetensors',
  tokenizer: 'tokenizer',
  scheduler_config: 'scheduler/scheduler_config.json',
} as const;

const COMPONENT_DIRS = ['unet', 'text_encoder', 'tokenizer', 'scheduler'] as const;
const TOKEN_EMBEDDING = 'text_model.embeddings.token_embedding.weight';
/** Keys the files carry for diffusers / transformers that are not model config. */
const UNET_META_KEYS = ['_class_name', '_diffusers_version', '_name_or_path'];
const TEXT_META_KEYS = ['architectures', 'model_type', 'torch_dtype', 'transformers_version', '_name_or_path'];

function dtype_of(sd: Record<string, Tensor>): DType {
  const first = Object.values(sd)[0];
  return first ? first.dtype : 'float32';
}

function without(obj: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.includes(k)));
}

/** text_encoder/ (config.json, model.safetensors) and tokenizer/ under root, as transformers writes them. */
function write_text_encoder_files(fs: Files, root: string, text_encoder: PretrainedModule, tokenizer: CLIPTokenizer): void {
  const text_sd = text_encoder.state_dict();
  const table = text_sd[TOKEN_EMBEDDING];
  // the weights are the truth: a grown embedding table must show in the saved vocab_size
  const text_config: Record<string, unknown> = { ...(text_encoder.config as Record<string, unknown>) };
  if (table) {
    const rows = table.shape[0]!;
    if (tokenizer.length > rows) {
      throw new Error(`save_pretrained: the tokenizer has ${tokenizer.length} tokens but the text encoder's embedding table only ${rows} rows (resize it after add_tokens)`);
    }
    text_config.vocab_size = rows;
  }
  const positions = text_config.max_position_embeddings;
  if (typeof positions === 'number' && tokenizer.model_max_length > positions) {
    throw new Error(`save_pretrained: the tokenizer pads to ${tokenizer.model_max_length} tokens but the text encoder has ${positions} positions`);
  }
  for (const d of ['text_encoder', 'tokenizer']) fs.mkdirp(fs.join(root, d));
  write_file_atomic(
    fs.join(root, PIPELINE_FILES.text_encoder_config),
    to_json_text({ architectures: ['CLIPTextModel'], model_type: 'clip_text_model', ...without(text_config, TEXT_META_KEYS), torch_dtype: dtype_of(text_sd), transformers_version: TRANSFORMERS_VERSION }),
    fs,
  );
  save_file(text_sd, fs.join(root, PIPELINE_FILES.text_encoder_weights), { format: 'pt' }, fs);
  tokenizer.save_pretrained(fs.join(root, PIPELINE_FILES.tokenizer), fs);
}

/** Writes every file of the pipeline under `root` (a fresh folder). */
function write_pipeline_files(fs: Files, root: string, parts: PipelineComponents): void {
  const unet_sd = parts.unet.state_dict();
  const join = (rel: string): string => fs.join(root, rel);
  write_text_encoder_files(fs, root, parts.text_encoder, parts.tokenizer);
  for (const d of COMPONENT_DIRS) fs.mkdirp(join(d));
  const scheduler_class = typeof parts.scheduler_config._class_name === 'string' ? parts.scheduler_config._class_name : 'DDIMScheduler';

  // conv_padding_mode is the project's own key: written only when it is not the zeros diffusers knows
  const unetConfig = parts.unet.config as Record<string, unknown>;
  const ownKeys = unetConfig['conv_padding_mode'] === 'zeros' ? ['conv_padding_mode'] : [];
  write_file_atomic(join(PIPELINE_FILES.unet_config), to_json_text({ _class_name: 'UNet2DConditionModel', _diffusers_version: DIFFUSERS_VERSION, ...without(unetConfig, [...UNET_META_KEYS, ...ownKeys]) }), fs);
  save_file(unet_sd, join(PIPELINE_FILES.unet_weights), { format: 'pt' }, fs);
  write_file_atomic(join(PIPELINE_FILES.scheduler_config), to_json_text({ ...parts.scheduler_config, _class_name: scheduler_class, _diffusers_version: DIFFUSERS_VERSION }), fs);
  write_file_atomic(
    join(PIPELINE_FILES.model_index),
    to_json_text({
      _class_name: 'StableDiffusionPipeline',
      _diffusers_version: DIFFUSERS_VERSION,
      scheduler: ['diffusers', scheduler_class],
      text_encoder: ['transformers', 'CLIPTextModel'],
      tokenizer: ['transformers', 'CLIPTokenizer'],
      unet: ['diffusers', 'UNet2DConditionModel'],
    }),
    fs,
  );
}

/** Saves the pipeline to `dir` of `fs` (the platform's files by default) in diffusers' layout (see the file comment for the atomicity). */
export function save_pretrained(dir: string, parts: PipelineComponents, fs: Files = files()): void {
  const stage = temp_sibling(dir, fs);
  try {
    fs.mkdirp(stage);
    write_pipeline_files(fs, stage, parts);
    if (!fs.exists(dir)) {
      fs.rename(stage, dir);
      return;
    }
    if (!fs.isDirectory(dir)) throw new Error(`save_pretrained: ${dir} exists and is not a folder`);
    fs.remove(fs.join(dir, PIPELINE_FILES.model_index));
    for (const d of COMPONENT_DIRS) {
      const target = fs.join(dir, d);
      if (fs.exists(target)) fs.rename(target, fs.join(stage, `${d}.old`));
      fs.rename(fs.join(stage, d), target);
    }
    fs.rename(fs.join(stage, PIPELINE_FILES.model_index), fs.join(dir, PIPELINE_FILES.model_index));
  } finally {
    fs.remove(stage);
  }
}

function need_file(fs: Files, dir: string, rel: string, what: string): string {
  const path = fs.join(dir, rel);
  if (!fs.exists(path)) throw new Error(`${what} not found: ${path}`);
  return path;
}

/** One model of a pipeline folder: its config, a model built from it, its weights loaded strictly. */
function load_component<M extends PretrainedModule>(fs: Files, dir: string, what: string, config_rel: string, weights_rel: string, meta: readonly string[], make: (c: Record<string, unknown>, d: DType) => M, want?: DType): M {
  const join = (rel: string): string => fs.join(dir, rel);
  const config = read_json_object(need_file(fs, dir, config_rel, `${what} config`), `${what} config`, fs);
  const weights_path = need_file(fs, dir, weights_rel, `${what} weights`);
  const sd = load_file(weights_path, fs);
  const dtype = want ?? dtype_of(sd);
  let model: M;
  try {
    model = make(without(config, meta), dtype);
  } catch (e) {
    throw new Error(`cannot build the ${what} from ${join(config_rel)}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    model.load_state_dict(sd, true);
  } catch (e) {
    throw new Error(`${weights_path} does not fit the ${what} of ${join(config_rel)}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return model;
}

/** Where to load from: the dtype to build the models in, and the Files holding the folder (the platform's by default). */
export interface LoadOptions {
  dtype?: DType;
  files?: Files;
}

/** Reads a pipeline folder, building the models with `factories`, weights loaded strictly. */
export function load_pipeline<U extends PretrainedModule, T extends PretrainedModule>(dir: string, factories: ModelFactories<U, T>, opts: LoadOptions = {}): LoadedPipeline<U, T> {
  const fs = opts.files ?? files();
  const join = (rel: string): string => fs.join(dir, rel);
  if (!fs.exists(dir)) throw new Error(`pipeline folder not found: ${dir}`);
  const index_path = join(PIPELINE_FILES.model_index);
  if (!fs.exists(index_path)) throw new Error(`not a complete pipeline folder (model_index.json not found; an interrupted save?): ${index_path}`);
  const model_index = read_json_object(index_path, 'pipeline index', fs);
  for (const c of COMPONENT_DIRS) {
    if (!Array.isArray(model_index[c])) throw new Error(`pipeline index ${index_path} lists no ${c}`);
  }
  const load_model = <M extends PretrainedModule>(what: string, config_rel: string, weights_rel: string, meta: readonly string[], make: (c: Record<string, unknown>, d: DType) => M): M =>
    load_component(fs, dir, what, config_rel, weights_rel, meta, make, opts.dtype);
  const unet = load_model('unet', PIPELINE_FILES.unet_config, PIPELINE_FILES.unet_weights, UNET_META_KEYS, factories.unet);
  const text_encoder = load_model('text encoder', PIPELINE_FILES.text_encoder_config, PIPELINE_FILES.text_encoder_weights, TEXT_META_KEYS, factories.text_encoder);
  const tok_dir = join(PIPELINE_FILES.tokenizer);
  if (!fs.exists(tok_dir)) throw new Error(`tokenizer folder not found: ${tok_dir}`);
  const tokenizer = CLIPTokenizer.from_pretrained(tok_dir, fs);
  const scheduler_config = read_json_object(need_file(fs, dir, PIPELINE_FILES.scheduler_config, 'scheduler config'), 'scheduler config', fs);
  return { unet, text_encoder, tokenizer, scheduler_config, model_index };
}

/** The project's models: diffusers' UNet2DConditionModel and transformers' CLIPTextModel. */
export const DEFAULT_FACTORIES: ModelFactories<UNet2DConditionModel, CLIPTextModel> = {
  // the constructors check the keys and values; the meta keys were stripped before
  unet: (config, dtype) => new UNet2DConditionModel(config as UNet2DConditionConfigInput, { dtype }),
  text_encoder: (config, dtype) => new CLIPTextModel(config as Partial<CLIPTextConfig>, { dtype }),
};

/** Loads a pipeline saved by `save_pretrained` (or laid out the same way). */
export function from_pretrained(dir: string, opts: LoadOptions = {}): LoadedPipeline<UNet2DConditionModel, CLIPTextModel> {
  return load_pipeline(dir, DEFAULT_FACTORIES, opts);
}

/**
 * Saves a text encoder and its tokenizer alone, in the pipeline's text_encoder/ and tokenizer/
 * layout (a pretrained text encoder a pipeline can start from), written to a staging sibling first.
 */
export function save_text_encoder(dir: string, text_encoder: PretrainedModule, tokenizer: CLIPTokenizer, fs: Files = files()): void {
  const stage = temp_sibling(dir, fs);
  try {
    fs.mkdirp(stage);
    write_text_encoder_files(fs, stage, text_encoder, tokenizer);
    fs.mkdirp(dir);
    for (const d of ['text_encoder', 'tokenizer']) {
      const target = fs.join(dir, d);
      if (fs.exists(target)) fs.rename(target, fs.join(stage, `${d}.old`));
      fs.rename(fs.join(stage, d), target);
    }
  } finally {
    fs.remove(stage);
  }
}

/** The text_encoder/ and tokenizer/ of a folder (a pipeline, or one save_text_encoder wrote). */
export function load_text_encoder(dir: string, opts: LoadOptions = {}): { text_encoder: CLIPTextModel; tokenizer: CLIPTokenizer } {
  const fs = opts.files ?? files();
  if (!fs.exists(dir)) throw new Error(`text encoder folder not found: ${dir}`);
  const text_encoder = load_component(fs, dir, 'text encoder', PIPELINE_FILES.text_encoder_config, PIPELINE_FILES.text_encoder_weights, TEXT_META_KEYS, DEFAULT_FACTORIES.text_encoder, opts.dtype);
  const tok_dir = fs.join(dir, PIPELINE_FILES.tokenizer);
  if (!fs.exists(tok_dir)) throw new Error(`tokenizer folder not found: ${tok_dir}`);
  return { text_encoder, tokenizer: CLIPTokenizer.from_pretrained(tok_dir, fs) };
}
