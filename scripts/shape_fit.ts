// Does a base model draw shapes at all, named or not? Samples one image per colour x shape prompt
// and fits the world's templates to each detected object: the best template's score (1 - wrong
// pixels / area; 1 on a clean render) says how shape-like the drawing is, whichever shape it is,
// and the gap to the runner-up how clearly it is one shape. A model that draws crisp shapes of the
// wrong kind fails on binding the word; one whose best fits are poor has not learned to draw them.
// Usage: BAS_BACKEND=gpujs-webasm npx tsx scripts/shape_fit.ts MODEL_DIR [GUIDANCE (2)] [SEED (1000)] [COLOURS (comma list, or all)]
import { loadModel, sample } from '../bas/model.js';
import { rgbImagesOf } from '../bas/io/pixels.js';
import { detect, SHAPE_NAMES } from '../lab/world/index.js';
import { probeColours } from './probe_noise.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: shape_fit.ts MODEL_DIR [GUIDANCE] [SEED] [COLOURS]');
const guidance_scale = Number(process.argv[3] ?? 2);
const seed = Number(process.argv[4] ?? 1000);
const { colours } = probeColours(process.argv[5]);
if (!(guidance_scale >= 1) || !Number.isInteger(seed)) throw new Error(`bad arguments: GUIDANCE ${process.argv[3]}, SEED ${process.argv[4]}`);
const model = loadModel(dir);
const fits: { score: number; gap: number; named: boolean }[] = [];
let missing = 0;
for (const colour of colours) {
  for (const shape of SHAPE_NAMES) {
    // 25 DDIM steps as the eval; ancestral (eta 1), as docs/base_model.md samples the v-prediction models
    const [im] = rgbImagesOf(sample(model, { prompt: `a photo of a ${colour} ${shape}`, num_images: 1, seed, num_inference_steps: 25, guidance_scale, eta: 1 }).images);
    const d = detect(im!.rgb, im!.width, im!.height).find((o) => o.colour === colour);
    if (d === undefined) missing++;
    else fits.push({ score: d.score, gap: d.score - (d.runnerUp?.score ?? 0), named: d.shape === shape });
  }
}
const mean = (xs: number[]): number => xs.reduce((s, v) => s + v, 0) / Math.max(1, xs.length);
const total = colours.length * SHAPE_NAMES.length;
console.log(`${dir}: ${total} prompts, guidance ${guidance_scale}, seed ${seed}`);
console.log(`object of the named colour found: ${fits.length} / ${total} (${missing} without one)`);
console.log(`best template's score: mean ${mean(fits.map((f) => f.score)).toFixed(3)}, >= 0.9 in ${fits.filter((f) => f.score >= 0.9).length}, >= 0.8 in ${fits.filter((f) => f.score >= 0.8).length}`);
console.log(`gap to the runner-up: mean ${mean(fits.map((f) => f.gap)).toFixed(3)}; named shape is the best fit in ${fits.filter((f) => f.named).length} (chance ${(fits.length / SHAPE_NAMES.length).toFixed(1)})`);
