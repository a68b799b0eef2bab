// --save_attention_maps: per-layer cross-attention, as DAAM and attention-map-diffusers save it.
// The record names each layer as diffusers does, in forward-call order, and its per-layer maps
// (the mean over heads) average to exactly the aggregate the loss supervises; the trainer writes
// one tile per placeholder token and layer with one index.json per logged step, and leaves the
// training stream alone.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Generator, mean, stack } from '../../core/index.js';
import { aggregate_attention } from '../../bas/attention/aggregate_attention.js';
import { AttentionStore } from '../../bas/attention/attention_store.js';
import { register_attention_control } from '../../bas/attention/register_attention_control.js';
import { readImage } from '../../bas/io/image.js';
import { crossAttentionLayers } from '../../bas/train/attention_maps.js';
import type { TrainConfig } from '../../bas/train/config.js';
import { BreakASceneTrainer } from '../../bas/train/trainer.js';
import { labelBandHeight } from '../../bas/vis/attention_vis.js';
import { differingTensors, listFiles, readMetrics, readWeights, tempRoot, tinyModel, tinyTrainConfig, writeScene, writeTinyModel } from '../helpers/tiny_model.js';

const tmp = tempRoot('bas-attn-maps');
afterAll(() => tmp.cleanup());
beforeEach(() => void vi.spyOn(console, 'log').mockImplementation(() => undefined));

/** The tiny UNet's cross-attention layers in the order a forward pass calls them: down, mid, up. */
const CALL_ORDER = [
  'down_blocks.0.attentions.0.transformer_blocks.0.attn2',
  'mid_block.attentions.0.transformer_blocks.0.attn2',
  'up_blocks.1.attentions.0.transformer_blocks.0.attn2',
  'up_blocks.1.attentions.1.transformer_blocks.0.attn2',
];

describe('crossAttentionLayers', () => {
  it("names every layer as diffusers does and averages, per sample, to aggregate_attention's map (float64)", () => {
    const m = tinyModel(4, 'float64');
    const names = Object.keys(m.unet.attn_processors).filter((n) => n.endsWith('attn2.processor')).map((n) => n.replace(/\.processor$/, ''));
    expect([...names].sort()).toEqual([...CALL_ORDER].sort());
    const store = new AttentionStore();
    register_attention_control(m.unet, store);
    // a batch of 3 whose instance samples are rows 2 and 0, in that order
    store.set_instance_samples([2, 0], 3);
    const g = new Generator(1);
    const ids = ['a photo of a red circle', 'a photo of a blue square', 'a photo of a green star'].map((p) => m.tokenizer.encode(p, { padding: 'max_length' }));
    const context = m.text_encoder.forward(ids).last_hidden_state;
    m.unet.forward(g.randn([3, 3, 8, 8], { dtype: 'float64' }), [10, 500, 900], context);

    const layers = crossAttentionLayers(store);
    expect(layers.map((l) => [l.name, l.place, l.res])).toEqual([
      [CALL_ORDER[0], 'down', 8],
      [CALL_ORDER[1], 'mid', 4],
      [CALL_ORDER[2], 'up', 8],
      [CALL_ORDER[3], 'up', 8],
    ]);
    expect(layers[0]!.maps.shape).toEqual([2, 8, 8, 12]);
    for (const sample of [0, 1]) {
      const at8 = layers.filter((l) => l.res === 8).map((l) => l.maps.narrow(0, sample, 1).squeeze(0));
      const perLayerMean = mean(stack(at8, 0), 0).data;
      const aggregate = aggregate_attention(store, 8, ['up', 'down'], true, sample).data;
      let worst = 0;
      for (let i = 0; i < aggregate.length; i++) worst = Math.max(worst, Math.abs(perLayerMean[i]! - aggregate[i]!));
      expect(worst, `sample ${sample}`).toBeLessThan(1e-15);
      // each pixel's attention over the 12 tokens sums to 1 in every layer
      const row = Array.from(layers[1]!.maps.data.slice(0, 12));
      expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    }
  });
});

describe('bas train --save_attention_maps', () => {
  let model = '';
  let scene = '';
  beforeAll(() => {
    model = writeTinyModel(tmp.fresh('model'), 5);
    scene = writeScene(tmp.fresh('scene'));
  });
  const FLAGS: Partial<TrainConfig> = { phase1_train_steps: 3, phase2_train_steps: 2, seed: 2, initial_learning_rate: 1e-2, learning_rate: 1e-3 };

  it('every N steps and the last: one tile per placeholder token and layer, and an index naming them', async () => {
    const out = tmp.fresh('maps');
    const plain = tmp.fresh('plain');
    await new BreakASceneTrainer(tinyTrainConfig(model, scene, out, { ...FLAGS, save_attention_maps: true, attention_maps_steps: 2 }), { log: () => undefined }).train();
    await new BreakASceneTrainer(tinyTrainConfig(model, scene, plain, FLAGS), { log: () => undefined }).train();
    const metrics = readMetrics(out);
    const dirs = [...new Set(listFiles(join(out, 'attention_maps')).map((f) => f.split(/[\\/]/)[0]))];
    expect(dirs).toEqual(['step-2', 'step-4', 'step-5']);
    for (const step of [2, 4, 5]) {
      const dir = join(out, 'attention_maps', `step-${step}`);
      const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
        step: number; phase: number;
        samples: { sample: number; prompt: string; timestep: number; tokens: { token: string; position: number }[] }[];
        layers: { name: string; place: string; res: number }[];
        maps: { sample: number; layer: string; token: string; file: string; max: number; mean: number }[];
      };
      expect(index.step).toBe(step);
      expect(index.phase).toBe(step <= 3 ? 1 : 2);
      expect(index.layers.map((l) => l.name)).toEqual(CALL_ORDER);
      // the sample is the step's: its concepts are the ones metrics.jsonl logged for that step
      const [s] = index.samples;
      const concepts = metrics[step - 1]!.concepts[0]!.ids;
      expect(s!.tokens.map((t) => t.token)).toEqual(concepts.map((c) => `<asset${c}>`));
      expect(s!.prompt).toBe(`a photo of ${concepts.map((c) => `<asset${c}>`).join(' and ')}`);
      // "a photo of" is positions 1-3, so the k-th token sits at 4 + 2k
      expect(s!.tokens.map((t) => t.position)).toEqual(concepts.map((_, k) => 4 + 2 * k));
      expect(Number.isInteger(s!.timestep) && s!.timestep >= 0 && s!.timestep < 1000).toBe(true);
      expect(index.maps).toHaveLength(concepts.length * CALL_ORDER.length);
      for (const e of index.maps) {
        expect(e.file).toBe(join('sample-0', e.layer, `${e.token.slice(1, -1)}.png`));
        expect(existsSync(join(dir, e.file))).toBe(true);
        expect(e.max).toBeGreaterThan(0);
        expect(e.max).toBeLessThanOrEqual(1);
        expect(e.mean).toBeLessThanOrEqual(e.max);
      }
      const tile = readImage(join(dir, index.maps[0]!.file));
      expect([tile.width, tile.height]).toEqual([64, 64 + labelBandHeight(1)]);
    }
    // the maps are copies: the run is bit for bit the run without them
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(plain, 'metrics.jsonl'), 'utf8'));
    expect(differingTensors(readWeights(plain), readWeights(out))).toEqual([]);
    expect(existsSync(join(plain, 'attention_maps'))).toBe(false);
  });
});
