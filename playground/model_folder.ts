// Model folders the page can fetch: the pipeline layout (model_index.json, unet/, text_encoder/,
// tokenizer/, scheduler/) plus files.json, the list of its files, since a static host cannot list a
// folder. Also the playground's `tiny` model: a seeded, untrained model of the base model's
// architecture at 16x16 with a few channels, for tests and quick looks (?model=tiny), where a
// training step takes milliseconds instead of a second.
import { Generator, type DType } from '../core/index.js';
import { SD_SCHEDULER_CONFIG } from '../diffusion/index.js';
import { saveModel, type BasModel } from '../bas/model.js';
import { CLIPTextModel } from '../nn/clip/text_model.js';
import { CLIPTokenizer } from '../nn/tokenizer/clip_tokenizer.js';
import { UNet2DConditionModel, type UNet2DConditionConfigInput } from '../nn/unet/unet_2d_condition.js';
import { files } from '../platform/platform.js';

const MANIFEST = 'files.json';
/** Room for "a photo of <asset0> and <asset1> and <asset2> and <asset3>" with start and end (12). */
const TINY_MAX_LENGTH = 16;

/** The tiny models' UNet (the tests' at 8x8): the default's layout with a few channels, cross-attention in down 0, mid and up 1. */
export const TINY_UNET_CONFIG: UNet2DConditionConfigInput = {
  sample_size: 8,
  in_channels: 3,
  out_channels: 3,
  block_out_channels: [8, 16],
  down_block_types: ['CrossAttnDownBlock2D', 'DownBlock2D'],
  up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D'],
  layers_per_block: 1,
  cross_attention_dim: 16,
  attention_head_dim: 2,
  norm_num_groups: 4,
  use_linear_projection: true,
};

/** The tiny models' text encoder (the tests' too): CLIP-like, 16 wide, one layer, over the project's vocabulary. */
export function tinyTextEncoder(tokenizer: CLIPTokenizer, maxLength: number, gen: Generator, dtype: DType = 'float32'): CLIPTextModel {
  return new CLIPTextModel(
    {
      vocab_size: tokenizer.length,
      hidden_size: 16,
      intermediate_size: 32,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      max_position_embeddings: maxLength,
      hidden_act: 'quick_gelu',
      layer_norm_eps: 1e-5,
      bos_token_id: tokenizer.bos_token_id,
      eos_token_id: tokenizer.eos_token_id,
      pad_token_id: tokenizer.pad_token_id,
    },
    { dtype, generator: gen },
  );
}

export function tinyModel(seed = 0): BasModel {
  const gen = new Generator(seed);
  const tokenizer = new CLIPTokenizer({ model_max_length: TINY_MAX_LENGTH });
  const text_encoder = tinyTextEncoder(tokenizer, TINY_MAX_LENGTH, gen);
  // cross-attention at 16x16 (down 0, up 1) and 8x8 (mid): the loss supervises 16x16 maps
  const unet = new UNet2DConditionModel({ ...TINY_UNET_CONFIG, sample_size: 16 }, { generator: gen });
  return { unet, text_encoder, tokenizer, scheduler_config: { _class_name: 'DDIMScheduler', ...SD_SCHEDULER_CONFIG } };
}

/** Every file under `dir` on the installed platform's files, relative, sorted. */
function listFolder(dir: string): string[] {
  const fs = files();
  const walk = (rel: string): string[] =>
    fs.listDir(rel === '' ? dir : fs.join(dir, rel)).flatMap((name) => {
      const sub = rel === '' ? name : `${rel}/${name}`;
      return fs.isDirectory(fs.join(dir, sub)) ? walk(sub) : [sub];
    });
  return walk('').filter((p) => p !== MANIFEST).sort();
}

/** Writes files.json into the model folder at `dir`, listing its files. */
export function writeManifest(dir: string): string[] {
  const list = listFolder(dir);
  files().writeFileAtomic(files().join(dir, MANIFEST), `${JSON.stringify(list, null, 1)}\n`);
  return list;
}

/** Saves `model` at `dir` with its files.json. */
export function writeModelFolder(dir: string, model: BasModel): string[] {
  saveModel(dir, model);
  return writeManifest(dir);
}
