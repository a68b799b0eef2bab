// One DDIM sampling run of the bench's sampling row (4 images, 25 steps, guidance 7.5, the shipped
// base model), for side-by-side runs of sampling changes: prints the time, the peak RSS and a hash
// of the images' bytes (a change that must not alter samples keeps the hash).
//   tsx bench/ddim_once.ts [backend=gpujs-webasm] [scoped|bare=scoped] [steps=25]
// `scoped` wraps the run in tidy() as the bench's step rows do (and as a training loop would);
// `bare` runs it outside any scope.
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setBackend, tidy } from '../kernels/index.js';
import { loadModel, sample } from '../bas/model.js';

const [backend = 'gpujs-webasm', mode = 'scoped', stepsArg = '25'] = process.argv.slice(2);
if (mode !== 'scoped' && mode !== 'bare') throw new Error(`ddim_once: mode must be scoped or bare, got "${mode}"`);
const steps = Number(stepsArg);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`ddim_once: steps must be a positive integer, got "${stepsArg}"`);
setBackend(backend);
const m = loadModel(join(dirname(fileURLToPath(import.meta.url)), '..', 'models', 'base'));
const run = (): Float32Array => {
  const out = sample(m, { prompt: 'a photo of a red star', num_images: 4, seed: 0, num_inference_steps: steps, guidance_scale: 7.5 });
  return Float32Array.from(out.images.data);
};
const t0 = performance.now();
const images = mode === 'scoped' ? tidy(run) : run();
const ms = performance.now() - t0;
const hash = createHash('sha256').update(new Uint8Array(images.buffer)).digest('hex').slice(0, 16);
console.log(JSON.stringify({ backend, mode, steps, s: +(ms / 1000).toFixed(2), peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024), sha256: hash }));
process.exit(0);
