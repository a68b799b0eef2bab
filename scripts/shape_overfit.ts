// Can the caption's shape word reach the UNet's output at all? A sanity check of the conditioning
// path (issue 10): fine-tune a model on eight scenes that differ only in shape (one per shape, the
// same colour, size and background, each centred), so the shape word is the only thing telling
// them apart, then measure how much a wrong shape word raises the denoising error on those scenes
// (fresh noise). A working path learns to use the word quickly; ~0% after the run means it cannot.
// VARY colour is the control: eight circles that differ only in colour, the colour word wrong.
// Usage: BAS_BACKEND=gpujs-webasm npx tsx scripts/shape_overfit.ts MODEL_DIR [STEPS (default 200)] [LR (default 5e-4)] [VARY shape | colour]
import { Generator, mse_loss, no_grad, tensor, type Tensor } from '../core/index.js';
import { AdamW } from '../nn/optim/adamw.js';
import { clip_grad_norm_ } from '../nn/optim/clip_grad.js';
import { encodePrompts, loadModel, trainingScheduler } from '../bas/model.js';
import { captionOf, COLOURS, renderScene, sceneAt, SHAPE_NAMES, type Scene } from '../lab/world/index.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: shape_overfit.ts MODEL_DIR [STEPS] [LR]');
const steps = Number(process.argv[3] ?? 200);
const lr = Number(process.argv[4] ?? 5e-4);
if (!Number.isInteger(steps) || steps < 0) throw new Error(`STEPS must be a non-negative integer, got ${process.argv[3]}`);
if (!(lr > 0)) throw new Error(`LR must be positive, got ${process.argv[4]}`);
const vary = process.argv[5] ?? 'shape';
if (vary !== 'shape' && vary !== 'colour') throw new Error(`VARY must be shape or colour, got ${vary}`);

const model = loadModel(dir);
const scheduler = trainingScheduler(model);
const res = model.unet.config.sample_size ?? 32;
const red = COLOURS.find((c) => c.name === 'red')!;

/** Eight centred circles of one size, one per colour (the control). */
function eightColours(): Scene[] {
  const first = sceneAt(7, 0, { resolution: res, minObjects: 1, maxObjects: 1, textures: ['plain'], placement: 'centre' }).scene;
  const o = first.objects[0]!;
  return COLOURS.slice(0, 8).map((c) => {
    const scene: Scene = { ...first, objects: [{ ...o, shape: 'circle', colour: c.name, rgb: [...c.rgb] as [number, number, number] }] };
    return { ...scene, caption: captionOf(scene) };
  });
}

/** One centred scene per shape, every other attribute taken from the first: colour red, one size. */
function eightScenes(): Scene[] {
  const first = sceneAt(7, 0, { resolution: res, minObjects: 1, maxObjects: 1, textures: ['plain'], placement: 'centre' }).scene;
  const template = first.objects[0]!;
  return SHAPE_NAMES.map((shape) => {
    // the same seed per shape, so the draw differs only where the shape changes it
    let s = first;
    for (let i = 0; i < 4000; i++) {
      const c = sceneAt(7, i, { resolution: res, minObjects: 1, maxObjects: 1, textures: ['plain'], placement: 'centre' }).scene;
      if (c.objects[0]!.shape === shape && c.objects[0]!.size === template.size) {
        s = c;
        break;
      }
    }
    const o = { ...s.objects[0]!, colour: red.name, rgb: [...red.rgb] as [number, number, number], radius: template.radius };
    const scene: Scene = { ...s, background: first.background, objects: [o] };
    return { ...scene, caption: captionOf(scene) };
  });
}

const scenes = vary === 'shape' ? eightScenes() : eightColours();
const captions = scenes.map((s) => captionOf(s, { withoutBackground: true }));
const wrongObject = (s: Scene, i: number): Scene['objects'][number] =>
  vary === 'shape' ? { ...s.objects[0]!, shape: SHAPE_NAMES[(i + 3) % SHAPE_NAMES.length]! } : { ...s.objects[0]!, colour: scenes[(i + 3) % scenes.length]!.objects[0]!.colour };
const wrong = scenes.map((s, i) => captionOf({ ...s, objects: [wrongObject(s, i)] }, { withoutBackground: true }));
const px = new Float32Array(scenes.length * 3 * res * res);
scenes.forEach((s, b) => {
  const { rgb } = renderScene(s);
  for (let p = 0; p < res * res; p++) for (let c = 0; c < 3; c++) px[(b * 3 + c) * res * res + p] = rgb[p * 3 + c]! / 127.5 - 1;
});
const x0 = tensor(px, { shape: [scenes.length, 3, res, res], dtype: model.unet.dtype });
const context = no_grad(() => encodePrompts(model, captions));
const wrongContext = no_grad(() => encodePrompts(model, wrong));
const gen = new Generator(0);
// a v-prediction model trains on v and is probed on its epsilon estimate, as word_sensitivity.ts does
const vPred = scheduler.config.prediction_type === 'v_prediction';

function probe(label: string): void {
  const cells: string[] = [];
  no_grad(() => {
    for (const t of [200, 400, 600, 800]) {
      const noise = gen.randn([scenes.length, 3, res, res], { dtype: model.unet.dtype });
      const ts = scenes.map(() => t);
      const noisy = scheduler.add_noise(x0, noise, ts);
      const err = (ctx: Tensor): number => mse_loss(scheduler.epsilon_of(model.unet.forward(noisy, ts, ctx).sample, noisy, t), noise).item();
      cells.push(`${(100 * (err(wrongContext) / err(context) - 1)).toFixed(1)}%`);
    }
  });
  console.log(`| ${label} | ${cells.join(' | ')} |`);
}

console.log(`wrong-${vary} increase of the epsilon MSE on the 8 scenes, ${dir} (${captions[0]} ...)\n`);
console.log('| after | t = 200 | t = 400 | t = 600 | t = 800 |\n|---|---|---|---|---|');
probe('0 steps');
const params = model.unet.parameters();
const opt = new AdamW(params, { lr, weight_decay: 0 });
for (let step = 1; step <= steps; step++) {
  const noise = gen.randn([scenes.length, 3, res, res], { dtype: model.unet.dtype });
  const ts = scenes.map(() => 200 + gen.integer(0, 700));
  const target = vPred ? scheduler.get_velocity(x0, noise, ts) : noise;
  const loss = mse_loss(model.unet.forward(scheduler.add_noise(x0, noise, ts), ts, context).sample, target);
  loss.backward();
  clip_grad_norm_(params, 1);
  opt.step();
  opt.zero_grad();
  if (step % 50 === 0 || step === steps) probe(`${step} steps (loss ${loss.item().toFixed(4)})`);
}
