// Attention IoU of a trained model per half of the heads (README, "Known quirks"): the map at each
// concept's token, full prompt, the training image noised at bas eval's timesteps, averaged over
// all heads, the first half or the second half, against the masks. The original's store supervises
// only the second half without prior preservation; this shows where the other half ended up.
// Usage: tsx scripts/head_iou.ts MODEL_DIR SCENE_DIR
import { cat, Generator, mean, narrow, no_grad, reshape, select } from '../core/index.js';
import { AttentionStore } from '../bas/attention/attention_store.js';
import { register_attention_control } from '../bas/attention/register_attention_control.js';
import { instancePrompt } from '../bas/data/union_sampling.js';
import { loadInstanceFolder } from '../bas/io/instance.js';
import { attentionIoU } from '../bas/losses/attention_iou.js';
import { normalizeByMax } from '../bas/losses/attention_loss.js';
import { defaultAttnRes, encodePrompts, loadModel, trainingScheduler } from '../bas/model.js';
import { IOU_TIMESTEPS } from '../lab/eval/break_a_scene.js';

const [modelDir, sceneDir] = process.argv.slice(2);
if (!modelDir || !sceneDir) throw new Error('usage: tsx scripts/head_iou.ts MODEL_DIR SCENE_DIR');
const model = loadModel(modelDir);
const n = Object.keys(model.tokenizer.get_added_vocab()).length;
const tokens = Array.from({ length: n }, (_, i) => `<asset${i}>`);
const res = defaultAttnRes(model);
const inst = loadInstanceFolder(sceneDir, { resolution: model.unet.config.sample_size ?? 32, numOfAssets: n });
const ids = model.tokenizer.encode(instancePrompt(tokens), { padding: 'max_length', truncation: true });
const positions = model.tokenizer.convert_tokens_to_ids(tokens).map((id) => ids.indexOf(id));
const store = new AttentionStore();
register_attention_control(model.unet, store);
const scheduler = trainingScheduler(model);
const gen = new Generator(0);
const sums = new Map<string, number[]>();
no_grad(() => {
  const context = encodePrompts(model, [instancePrompt(tokens)]);
  for (const t of IOU_TIMESTEPS) {
    store.reset();
    model.unet.forward(scheduler.add_noise(inst.image, gen.randn(inst.image.shape, { dtype: inst.image.dtype }), [t]), [t], context);
    const avg = store.get_average_attention();
    // one sample: rows are heads; (heads, res, res, tokens) per layer at the supervised grid
    const maps = [...avg.up_cross, ...avg.down_cross].filter((m) => m.dim(1) === res * res).map((m) => reshape(m, [m.dim(0), res, res, m.dim(-1)]));
    const heads = maps[0]!.dim(0);
    const half = Math.floor(heads / 2);
    for (const [name, from, count] of [['all heads', 0, heads], [`heads 0-${half - 1}`, 0, half], [`heads ${half}-${heads - 1}`, half, heads - half]] as const) {
      const agg = mean(cat(maps.map((m) => narrow(m, 0, from, count)), 0), 0);
      const row = sums.get(name) ?? new Array<number>(n).fill(0);
      positions.forEach((p, i) => (row[i]! += attentionIoU(normalizeByMax(select(agg, -1, p)), inst.masks[i]!) / IOU_TIMESTEPS.length));
      sums.set(name, row);
    }
  }
});
for (const [name, row] of sums) console.log(`${name}: ${row.map((v) => v.toFixed(2)).join(' ')} (mean ${(row.reduce((a, b) => a + b, 0) / n).toFixed(3)})`);
