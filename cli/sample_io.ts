// What `bas edit` needs around sampling: the model folder checked before it is read, sampled
// images written side by side as one picture, and an output folder made with a notice.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../core/index.js';
import { to_uint8_images } from '../diffusion/index.js';
import { writeImage } from '../bas/io/write_image.js';
import { loadModel, type BasModel } from '../bas/model.js';
import { InputError } from '../bas/errors.js';

/** The model folder a --model_path names, with a clear error when it is not one. */
export function loadModelFolder(path: string): BasModel {
  if (!existsSync(join(path, 'model_index.json'))) throw new InputError(`--model_path ${path} is not a model folder (no model_index.json)`);
  return loadModel(path);
}

/** (N, 3, H, W) in [-1, 1] written as one row of N images (PNG or JPEG by the name's extension); returns the size of one. */
export function writeImageRow(path: string, images: Tensor): { count: number; width: number; height: number } {
  const imgs = to_uint8_images(images, 'rgb');
  const h = imgs[0]!.height;
  const w = imgs[0]!.width;
  const row = new Uint8Array(imgs.length * w * h * 3);
  imgs.forEach((img, k) => {
    for (let y = 0; y < h; y++) row.set(img.data.subarray(y * w * 3, (y + 1) * w * 3), (y * imgs.length * w + k * w) * 3);
  });
  writeImage(path, { width: w * imgs.length, height: h, rgb: row });
  return { count: imgs.length, width: w, height: h };
}

/** Makes `dir` (checkOutputImage's folder to create) when it is still missing, with a notice. */
export function ensureFolder(dir: string | null, notice: (msg: string) => void): void {
  if (dir === null || existsSync(dir)) return;
  mkdirSync(dir, { recursive: true });
  notice(`note: created the folder ${dir}`);
}
