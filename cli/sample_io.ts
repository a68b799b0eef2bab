// What `bas generate` and `bas edit` need around sampling: the model folder checked before it is
// read, the sampling options from their flags of the same names, sampled images written side by
// side as one picture, and an output folder made with a notice.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../core/index.js';
import { rgbImagesOf, type RgbImage } from '../bas/io/pixels.js';
import { writeImage } from '../bas/io/write_image.js';
import { loadModel, samplingOf, type BasModel, type SampleOptions } from '../bas/model.js';
import { hstack } from '../bas/vis/image_ops.js';
import { InputError } from '../bas/errors.js';
import type { Range } from '../bas/ranges.js';
import type { FlagSpecs } from './args.js';

/** The model folder a --model_path names, with a clear error when it is not one. */
export function loadModelFolder(path: string): BasModel {
  if (!existsSync(join(path, 'model_index.json'))) throw new InputError(`--model_path ${path} is not a model folder (no model_index.json)`);
  return loadModel(path);
}

/** The flags of how `bas generate` and `bas edit` draw each picture (SamplingOptions), with the original's defaults. */
export const SAMPLING_FLAGS = {
  num_inference_steps: { type: 'int', help: 'DDIM steps', default: 50 },
  guidance_scale: { type: 'number', help: 'classifier-free guidance scale', default: 7.5 },
  guidance_rescale: { type: 'number', help: "diffusers' guidance_rescale in [0, 1]: pulls the guided prediction's spread back to the conditional one's (against over-saturated colours; 0.7 in Lin et al.)", default: 0 },
  eta: { type: 'number', help: "DDIM's eta in [0, 1]: 0 the deterministic DDIM path, 1 fresh noise at every step (ancestral sampling, which keeps a pixel-space model's samples clean)", default: 0 },
} satisfies FlagSpecs;

/** The ranges of those flags and of --num_images. */
export const SAMPLING_RANGES = { num_images: 'at least 1', num_inference_steps: 'at least 1', guidance_scale: '>= 0', guidance_rescale: '[0, 1]', eta: '[0, 1]' } as const satisfies Record<string, Range>;

/** The flags a sampling command shares, by the names SampleOptions gives them. */
export type SampleFlags = Required<Pick<SampleOptions, 'prompt' | 'num_images' | 'seed' | 'num_inference_steps' | 'guidance_scale' | 'guidance_rescale' | 'eta'>>;

/** The sampling options of those flags (a command adds its own, e.g. `edit`, `record_attention`). */
export function sampleOptionsFrom(f: SampleFlags): SampleOptions {
  return { prompt: f.prompt, num_images: f.num_images, seed: f.seed, ...samplingOf(f) };
}

/** (N, 3, H, W) in [-1, 1] written as one row of N images (PNG or JPEG by the name's extension);
 * returns the size of one and the images as written, for a caller that needs their bytes again. */
export function writeImageRow(path: string, images: Tensor): { count: number; width: number; height: number; images: RgbImage[] } {
  const imgs = rgbImagesOf(images);
  writeImage(path, hstack(imgs));
  return { count: imgs.length, width: imgs[0]!.width, height: imgs[0]!.height, images: imgs };
}

/** Makes `dir` (checkOutputImage's folder to create) when it is still missing, with a notice. */
export function ensureFolder(dir: string | null, notice: (msg: string) => void): void {
  if (dir === null || existsSync(dir)) return;
  mkdirSync(dir, { recursive: true });
  notice(`note: created the folder ${dir}`);
}
