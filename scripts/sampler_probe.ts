// How a base model's samples fare under one sampler setting: 16 single-object prompts (each colour
// with two shapes) x IMAGES seeds, judged by the world's detector: colour and shape fidelity, the
// share of images with no object found at all, and the grain of the background (the standard
// deviation of the 3-pixel border, per channel, in levels of 255; the world's plain backgrounds have 0).
// Usage: BAS_BACKEND=gpujs-webasm npx tsx scripts/sampler_probe.ts MODEL_DIR [STEPS (25)] [GUIDANCE (4)] [RESCALE (0)] [ETA (0)] [SEED (1000)] [IMAGES (4)]
import type { Tensor } from '../core/index.js';
import { loadModel, sample } from '../bas/model.js';
import { phrase } from '../lab/eval/base_model.js';
import { detectBatch, hasColour, hasConcept } from '../lab/eval/judge.js';
import { COLOUR_NAMES, SHAPE_NAMES } from '../lab/world/index.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: sampler_probe.ts MODEL_DIR [STEPS] [GUIDANCE] [RESCALE] [ETA] [SEED] [IMAGES]');
type Check = [test: (v: number) => boolean, says: string];
const arg = (i: number, fallback: number, [ok, says]: Check, what: string): number => {
  const v = Number(process.argv[i] ?? fallback);
  if (!ok(v)) throw new Error(`${what} must be ${says}, got ${process.argv[i]}`);
  return v;
};
const positiveInt: Check = [(v) => Number.isInteger(v) && v >= 1, 'a positive integer'];
const unit: Check = [(v) => v >= 0 && v <= 1, 'in [0, 1]'];
const steps = arg(3, 25, positiveInt, 'STEPS');
const guidance_scale = arg(4, 4, [(v) => v >= 0, '>= 0'], 'GUIDANCE');
const guidance_rescale = arg(5, 0, unit, 'RESCALE');
const eta = arg(6, 0, unit, 'ETA');
const seed = arg(7, 1000, [Number.isInteger, 'an integer'], 'SEED');
const images = arg(8, 4, positiveInt, 'IMAGES');
const BORDER = 3;

/** Mean over channels of the border pixels' standard deviation, in levels of 255, of image i. */
function borderStd(x: Tensor, i: number): number {
  const [, c, h, w] = x.shape as [number, number, number, number];
  let sum = 0;
  for (let ch = 0; ch < c; ch++) {
    const v: number[] = [];
    for (let y = 0; y < h; y++) for (let q = 0; q < w; q++) if (y < BORDER || q < BORDER || y >= h - BORDER || q >= w - BORDER) v.push(x.data[((i * c + ch) * h + y) * w + q]! * 127.5);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    sum += Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
  }
  return sum / c;
}

const model = loadModel(dir);
let colour = 0, shape = 0, empty = 0, grain = 0, n = 0;
const t0 = Date.now();
COLOUR_NAMES.forEach((c, ci) => {
  for (let k = 0; k < 2; k++) {
    const s = SHAPE_NAMES[(ci + 3 * k + 1) % SHAPE_NAMES.length]!;
    const prompt = `a photo of ${phrase({ colour: c, shape: s })}`;
    const x = sample(model, { prompt, num_images: images, seed: seed + 2 * ci + k, num_inference_steps: steps, guidance_scale, guidance_rescale, eta }).images;
    detectBatch(x).forEach((d, i) => {
      n++;
      if (hasColour(d, c)) colour++;
      if (hasConcept(d, { colour: c, shape: s })) shape++;
      if (d.length === 0) empty++;
      grain += borderStd(x, i);
    });
  }
});
const pct = (v: number): string => `${((100 * v) / n).toFixed(1)}%`;
console.log(`| ${dir} | ${steps} | ${guidance_scale} | ${guidance_rescale} | ${eta} | ${seed} | ${pct(colour)} | ${pct(shape)} | ${pct(empty)} | ${(grain / n).toFixed(1)} |`);
console.log(`(${n} images, ${((Date.now() - t0) / 1000).toFixed(0)} s; columns: model, DDIM steps, guidance, rescale, eta, seed, colour, shape, empty, border std)`);
