// Which path carries a caption word into a model with `addition_embed_type: "text"`: cross-attention
// (spatial: each pixel attends to the words) or the pooled caption added to the time embedding (the
// same bias at every position)? The word-sensitivity probe (scripts/word_sensitivity.ts) changes the
// caption for both at once; here the wrong caption reaches one path while the other keeps the true
// one, on the same scenes and noise. Single-object scenes; epsilon MSE, its increase over the true
// caption's in %.
// Usage: BAS_BACKEND=gpujs-webasm npx tsx scripts/conditioning_paths.ts MODEL_DIR [SCENES (32)] [PLACEMENT (centre; anywhere, centre+J as in word_sensitivity.ts)] [SEED (99)]
import { Generator, mse_loss, no_grad, type Tensor } from '../core/index.js';
import { encodePrompts, loadModel, trainingScheduler } from '../bas/model.js';
import { noisedAt, probePlacement, sceneTensor } from './probe_noise.js';
import { captionOf, COLOUR_NAMES, sceneAt, SHAPE_NAMES } from '../lab/world/index.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: conditioning_paths.ts MODEL_DIR [SCENES] [PLACEMENT] [SEED]');
const count = Number(process.argv[3] ?? 32);
if (!Number.isInteger(count) || count < 1) throw new Error(`SCENES must be a positive integer, got ${process.argv[3]}`);
const placementArg = process.argv[4] ?? 'centre';
const placement = probePlacement(placementArg);
const seed = Number(process.argv[5] ?? 99);
if (!Number.isInteger(seed) || seed === 0) throw new Error(`SEED must be an integer other than 0 (the pretraining stream's), got ${process.argv[5]}`);

const model = loadModel(dir);
const pooled = model.unet.add_embedding;
if (pooled === null) throw new Error(`${dir}: its UNet has no pooled-caption path (addition_embed_type is null); every word goes through cross-attention`);
const scheduler = trainingScheduler(model);
const res = model.unet.config.sample_size ?? 32;
const TIMESTEPS = [200, 400, 600, 800] as const;
const WRONG = ['wrong shape', 'wrong colour'] as const;
const PATHS = ['both paths', 'cross-attention only', 'pooled only'] as const;

// the pooled path reads `pooledInput` when set, instead of the caption the UNet was called with
const forward = pooled.forward.bind(pooled);
let pooledInput: Tensor | null = null;
pooled.forward = (ehs: Tensor): Tensor => forward(pooledInput ?? ehs);

const gen = new Generator(0);
const sums = new Map<string, number>();
const addTo = (key: string, v: number): void => void sums.set(key, (sums.get(key) ?? 0) + v);
no_grad(() => {
  for (let i = 0; i < count; i++) {
    const { scene, rgb } = sceneAt(seed, i, { resolution: res, minObjects: 1, maxObjects: 1, ...placement });
    const o = scene.objects[0]!;
    const wrong = {
      'wrong shape': captionOf({ ...scene, objects: [{ ...o, shape: SHAPE_NAMES.filter((s) => s !== o.shape)[i % (SHAPE_NAMES.length - 1)]! }] }, { withoutBackground: true }),
      'wrong colour': captionOf({ ...scene, objects: [{ ...o, colour: COLOUR_NAMES.filter((c) => c !== o.colour)[i % (COLOUR_NAMES.length - 1)]! }] }, { withoutBackground: true }),
    };
    const truth = encodePrompts(model, [captionOf(scene, { withoutBackground: true })]);
    for (const { t, noise, noisy } of noisedAt(sceneTensor(rgb, res, model.unet.dtype), TIMESTEPS, scheduler, gen)) {
      const error = (cross: Tensor, pool: Tensor): number => {
        pooledInput = pool;
        const eps = scheduler.epsilon_of(model.unet.forward(noisy, [t], cross).sample, noisy, t);
        pooledInput = null;
        return mse_loss(eps, noise).item();
      };
      addTo(`true@${t}`, error(truth, truth));
      for (const k of WRONG) {
        const w = encodePrompts(model, [wrong[k]]);
        addTo(`${k}/both paths@${t}`, error(w, w));
        addTo(`${k}/cross-attention only@${t}`, error(w, truth));
        addTo(`${k}/pooled only@${t}`, error(truth, w));
      }
    }
  }
});
console.log(`increase of the denoising error over the true caption's, ${count} single-object scenes (${placementArg}, seed ${seed}), ${dir}\n`);
console.log(`| wrong word | reaches | ${TIMESTEPS.map((t) => `t = ${t}`).join(' | ')} |`);
console.log(`|---|---|${TIMESTEPS.map(() => '---').join('|')}|`);
for (const k of WRONG) {
  for (const p of PATHS) {
    const pct = (t: number): string => `${(100 * (sums.get(`${k}/${p}@${t}`)! / sums.get(`true@${t}`)! - 1)).toFixed(1)}%`;
    console.log(`| ${k} | ${p} | ${TIMESTEPS.map(pct).join(' | ')} |`);
  }
}
