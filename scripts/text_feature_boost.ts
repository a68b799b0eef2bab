// Does the UNet bind the shape word slowly because the frozen text encoder varies little along it?
// (issue 10). Over the 64 "a photo of a <colour> <shape>" captions, split each output feature's
// variation into a shape effect (the mean over colours) and a colour effect (the mean over shapes),
// then rescale each feature by (shape / colour variance)^ALPHA (geometric mean 1, clipped to
// [1/8, 8]) about its mean, folded into final_layer_norm's weight and bias, and save the model.
// shape_overfit.ts on the saved model against the original tells whether a louder shape direction
// is learned faster. Prints the shape/colour rms ratio before and after.
// Usage: npx tsx scripts/text_feature_boost.ts MODEL_DIR OUT_DIR [ALPHA (default 0.5)]
import { no_grad } from '../core/index.js';
import { loadModel, saveModel, tokenizePrompts } from '../bas/model.js';
import { COLOUR_NAMES, SHAPE_NAMES } from '../lab/world/index.js';

const [src, dst, alphaArg] = process.argv.slice(2);
if (src === undefined || dst === undefined) throw new Error('usage: text_feature_boost.ts MODEL_DIR OUT_DIR [ALPHA]');
const alpha = Number(alphaArg ?? 0.5);
if (!Number.isFinite(alpha)) throw new Error(`ALPHA must be a number, got ${alphaArg}`);
const m = loadModel(src);
const nc = COLOUR_NAMES.length;
const ns = SHAPE_NAMES.length;
const captions = COLOUR_NAMES.flatMap((c) => SHAPE_NAMES.map((s) => `a photo of a ${c} ${s}`));

/** Per feature: the shape effect's and the colour effect's summed squares, and the mean. */
function effects(): { shape: Float64Array; colour: Float64Array; mean: Float64Array; ratio: number } {
  return no_grad(() => {
    const h = m.text_encoder.forward(tokenizePrompts(m, captions)).last_hidden_state;
    const [, P, F] = h.shape as [number, number, number];
    const d = h.data as Float32Array;
    const at = (c: number, s: number, p: number, f: number): number => d[((c * ns + s) * P + p) * F + f]!;
    const shape = new Float64Array(F);
    const colour = new Float64Array(F);
    const mean = new Float64Array(F);
    for (let p = 0; p < P; p++) {
      for (let f = 0; f < F; f++) {
        let mu = 0;
        for (let c = 0; c < nc; c++) for (let s = 0; s < ns; s++) mu += at(c, s, p, f);
        mu /= nc * ns;
        mean[f]! += mu / P;
        for (let s = 0; s < ns; s++) {
          let e = 0;
          for (let c = 0; c < nc; c++) e += at(c, s, p, f);
          shape[f]! += (e / nc - mu) ** 2 / ns;
        }
        for (let c = 0; c < nc; c++) {
          let e = 0;
          for (let s = 0; s < ns; s++) e += at(c, s, p, f);
          colour[f]! += (e / ns - mu) ** 2 / nc;
        }
      }
    }
    const sum = (a: Float64Array): number => a.reduce((x, y) => x + y, 0);
    return { shape, colour, mean, ratio: Math.sqrt(sum(shape) / sum(colour)) };
  });
}

const before = effects();
const raw = Array.from(before.shape, (s, f) => ((s + 1e-6) / (before.colour[f]! + 1e-6)) ** alpha);
const g = Math.exp(raw.reduce((a, v) => a + Math.log(v), 0) / raw.length);
const w = raw.map((v) => Math.min(8, Math.max(1 / 8, v / g)));
const ln = m.text_encoder.text_model.final_layer_norm;
const weight = ln.weight!.data as Float32Array;
const bias = ln.bias!.data as Float32Array;
// y' = w y + (1 - w) mean: each feature scaled about its mean, so the caption-free part stays put
w.forEach((wf, f) => {
  bias[f] = wf * bias[f]! + (1 - wf) * before.mean[f]!;
  weight[f] = wf * weight[f]!;
});
const after = effects();
console.log(`shape / colour effect rms: ${before.ratio.toFixed(3)} before, ${after.ratio.toFixed(3)} after (ALPHA ${alpha}, feature scales ${Math.min(...w).toFixed(2)}..${Math.max(...w).toFixed(2)})`);
saveModel(dst, m);
