// Which caption words does a base model use? For single-object scenes of the world, the denoising
// error (epsilon MSE) under the true caption, the caption naming another shape, another colour, and
// the empty caption, at a few noise levels, on the same noise. A word the model uses makes its
// wrong version cost more error; one it ignores costs nothing. A v-prediction model's output is
// turned into its epsilon estimate first, so models of either kind are compared alike.
// Usage: BAS_BACKEND=gpujs-webasm npx tsx scripts/word_sensitivity.ts [MODEL_DIR (default models/base)] [SCENES (default 48)] [PLACEMENT (anywhere | centre | centre+J: centred, moved up to J px)] [SHAPES (comma list, or all)] [SEED (default 99)] [COLOURS (comma list, or all)]
// SHAPES probes a model pretrained with --shapes on its own shapes: the scenes and the wrong shape word both come from them.
// COLOURS draws the scenes in those colours (a model pretrained with --colours); the wrong colour is any other.
import { Generator, mse_loss, no_grad } from '../core/index.js';
import { encodePrompts, loadModel, trainingScheduler } from '../bas/model.js';
import { noisedAt, probeColours, probePlacement, sceneTensor } from './probe_noise.js';
import { captionOf, COLOUR_NAMES, sceneAt, SHAPE_NAMES, type ShapeName } from '../lab/world/index.js';

const dir = process.argv[2] ?? 'models/base';
const count = Number(process.argv[3] ?? 48);
if (!Number.isInteger(count) || count < 1) throw new Error(`SCENES must be a positive integer, got ${process.argv[3]}`);
// a model pretrained with --placement centre is probed on the scenes it was trained on as well
const placement = probePlacement(process.argv[4] ?? 'anywhere');
const allShapes = process.argv[5] === undefined || process.argv[5] === 'all';
const shapeSet = (allShapes ? [...SHAPE_NAMES] : process.argv[5]!.split(',')) as ShapeName[];
const badShape = shapeSet.find((s) => !(SHAPE_NAMES as readonly string[]).includes(s));
if (badShape !== undefined || shapeSet.length < 2) throw new Error(`SHAPES must name at least two of ${SHAPE_NAMES.join(', ')}, got ${process.argv[5]}`);
// the world seed of the probe's scenes: 99 is the one the recipes were tuned on, so report on another
const seed = Number(process.argv[6] ?? 99);
if (!Number.isInteger(seed) || seed === 0) throw new Error(`SEED must be an integer other than 0 (the pretraining stream's), got ${process.argv[6]}`);
const { all: allColours, colours: colourSet } = probeColours(process.argv[7]);
const TIMESTEPS = [200, 400, 600, 800] as const;
const KINDS = ['true caption', 'wrong shape', 'wrong colour', 'empty caption'] as const;

const model = loadModel(dir);
const scheduler = trainingScheduler(model);
const res = model.unet.config.sample_size ?? 32;
const gen = new Generator(0);
const sums = new Map<string, number>();
no_grad(() => {
  for (let i = 0; i < count; i++) {
    // any seed but 0: scenes the pretraining stream (seed 0) never showed
    const { scene, rgb } = sceneAt(seed, i, { resolution: res, minObjects: 1, maxObjects: 1, ...placement, ...(allShapes ? {} : { shapes: shapeSet }), ...(allColours ? {} : { colours: colourSet }) });
    const o = scene.objects[0]!;
    const shapes = shapeSet.filter((s) => s !== o.shape);
    const colours = COLOUR_NAMES.filter((c) => c !== o.colour);
    const captions: Record<(typeof KINDS)[number], string> = {
      'true caption': captionOf(scene, { withoutBackground: true }),
      'wrong shape': captionOf({ ...scene, objects: [{ ...o, shape: shapes[i % shapes.length]! }] }, { withoutBackground: true }),
      'wrong colour': captionOf({ ...scene, objects: [{ ...o, colour: colours[i % colours.length]! }] }, { withoutBackground: true }),
      'empty caption': '',
    };
    for (const { t, noise, noisy } of noisedAt(sceneTensor(rgb, res, model.unet.dtype), TIMESTEPS, scheduler, gen)) {
      for (const k of KINDS) {
        const pred = scheduler.epsilon_of(model.unet.forward(noisy, [t], encodePrompts(model, [captions[k]])).sample, noisy, t);
        const key = `${k}@${t}`;
        sums.set(key, (sums.get(key) ?? 0) + mse_loss(pred, noise).item());
      }
    }
  }
});
console.log(`denoising error (epsilon MSE x 1e3), ${count} single-object scenes, ${dir}\n`);
console.log(`| caption | ${TIMESTEPS.map((t) => `t = ${t}`).join(' | ')} |`);
console.log(`|---|${TIMESTEPS.map(() => '---').join('|')}|`);
for (const k of KINDS) console.log(`| ${k} | ${TIMESTEPS.map((t) => ((1e3 * sums.get(`${k}@${t}`)!) / count).toFixed(3)).join(' | ')} |`);
console.log(`\nincrease over the true caption's error\n`);
console.log(`| caption | ${TIMESTEPS.map((t) => `t = ${t}`).join(' | ')} |`);
console.log(`|---|${TIMESTEPS.map(() => '---').join('|')}|`);
for (const k of KINDS.slice(1)) {
  const pct = (t: number): string => `${(100 * (sums.get(`${k}@${t}`)! / sums.get(`true caption@${t}`)! - 1)).toFixed(1)}%`;
  console.log(`| ${k} | ${TIMESTEPS.map(pct).join(' | ')} |`);
}
