// What a base model draws for each shape word: one row per shape (each in its own colour), one
// column per seed, enlarged 4x, so a reader sees outlines a 32 px sample hides. Usage:
// BAS_BACKEND=gpujs-webasm npx tsx scripts/sample_sheet.ts MODEL_DIR OUT.png [GUIDANCE (4)] [RESCALE (0.7)] [SEEDS (6)] [ETA (0)]
import { loadModel, sample } from '../bas/model.js';
import { rgbImagesOf } from '../bas/io/pixels.js';
import { grid, resizeImage, writePngAtomic } from '../bas/vis/index.js';
import { COLOUR_NAMES, SHAPE_NAMES } from '../lab/world/index.js';

const [dir, out] = process.argv.slice(2);
if (dir === undefined || out === undefined) throw new Error('usage: sample_sheet.ts MODEL_DIR OUT.png [GUIDANCE] [RESCALE] [SEEDS] [ETA]');
const guidance_scale = Number(process.argv[4] ?? 4);
const guidance_rescale = Number(process.argv[5] ?? 0.7);
const seeds = Number(process.argv[6] ?? 6);
const eta = Number(process.argv[7] ?? 0);
const model = loadModel(dir);
const tiles = SHAPE_NAMES.flatMap((shape, i) => {
  const prompt = `a photo of a ${COLOUR_NAMES[i % COLOUR_NAMES.length]!} ${shape}`;
  // the eval's sampling: 25 DDIM steps, seeds 0..K-1 in one batch
  const images = rgbImagesOf(sample(model, { prompt, num_images: seeds, seed: 0, num_inference_steps: 25, guidance_scale, guidance_rescale, eta }).images);
  return images.map((im) => resizeImage(im, im.width * 4, im.height * 4, 'nearest'));
});
writePngAtomic(out, grid(tiles, seeds, { gap: 4 }));
console.log(`wrote ${out}: ${SHAPE_NAMES.length} shapes x ${seeds} seeds, guidance ${guidance_scale}, rescale ${guidance_rescale}, eta ${eta}`);
