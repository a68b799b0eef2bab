// Prior preservation's class images: generated once by the base model from the class prompt and
// reused. A folder holding fewer than requested gets the missing ones; more are left alone. The
// generation lets the event loop run between denoising steps, so Ctrl-C stops it within a step.
import { cat, type Tensor } from '../../core/index.js';
import type { Files } from '../../platform/files.js';
import { files } from '../../platform/platform.js';
import { readImage } from '../io/image.js';
import { rgbImagesOf } from '../io/pixels.js';
import { writePng } from '../io/png.js';
import { imageToTensor } from '../io/tensor.js';
import { sampleImagesAsync, samplingOf, type BasModel } from '../model.js';

const CLASS_IMAGE = /^class-(\d+)\.png$/;

function classImagePaths(dir: string, fs: Files = files()): string[] {
  if (!fs.exists(dir)) return [];
  return fs
    .listDir(dir)
    .filter((n) => CLASS_IMAGE.test(n) || /\.(png|jpe?g)$/i.test(n))
    .sort()
    .map((n) => fs.join(dir, n));
}

export interface ClassImageOptions {
  dir: string;
  prompt: string;
  count: number;
  batch: number;
  seed: number;
  num_inference_steps: number;
  guidance_scale: number;
  /** DDIM's eta (0 when absent). */
  eta?: number;
  log?: (msg: string) => void;
  /** Checked between denoising steps: true ends the generation (the batch under way is dropped). */
  shouldStop?: () => boolean;
  /** The Files `dir` is in (the platform's by default; the output sink's for the default class_images/ of a run). */
  files?: Files;
}

/**
 * Makes sure `dir` holds at least `count` images, generating the missing ones with `model`; null
 * when `shouldStop` ended it first (the images written so far are kept, and reused next time).
 */
export async function ensureClassImages(model: BasModel, o: ClassImageOptions): Promise<string[] | null> {
  const fs = o.files ?? files();
  fs.mkdirp(o.dir);
  let have = classImagePaths(o.dir, fs).length;
  if (have < o.count) o.log?.(`generating ${o.count - have} class images of "${o.prompt}" into ${o.dir}`);
  const stop = o.shouldStop ?? (() => false);
  while (have < o.count) {
    if (stop()) return null;
    const n = Math.min(o.batch, o.count - have);
    // seeded by position, so an interrupted generation resumes with the same images
    const images = await sampleImagesAsync(model, { prompt: o.prompt, num_images: n, seed: o.seed + have, ...samplingOf(o) }, stop);
    if (images === null) return null;
    rgbImagesOf(images).forEach((img, i) => {
      writePng(fs.join(o.dir, `class-${String(have + i).padStart(4, '0')}.png`), img, fs);
    });
    have += n;
  }
  return classImagePaths(o.dir, fs).slice(0, o.count);
}

/** The class images as one (N, 3, R, R) tensor in [-1, 1]. */
export function loadClassImages(paths: readonly string[], resolution: number, fs: Files = files()): Tensor {
  return cat(paths.map((p) => imageToTensor(readImage(p, fs), resolution)), 0);
}
