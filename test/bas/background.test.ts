// Background extraction: the extra concept's mask is the complement of the union of the given
// masks, the run learns one token more (started from the word "background" when the others have
// words), and masks that leave no background are refused by name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tensor } from '../../core/index.js';
import { complement_of_union } from '../../bas/data/background_mask.js';
import { loadModel } from '../../bas/model.js';
import { BreakASceneTrainer } from '../../bas/train/trainer.js';
import { readMetrics, tempRoot, THREE_RECTS, tinyTrainConfig, writeScene, writeTinyModel } from '../helpers/tiny_model.js';

const tmp = tempRoot('bas-background');
let model = '';
beforeAll(() => {
  model = writeTinyModel(tmp.fresh('model'), 3);
});
afterAll(() => tmp.cleanup());

describe('complement_of_union', () => {
  it('is 1 - max over the masks, pixel by pixel, soft masks included', () => {
    const a = tensor([1, 0, 0, 0.25], { dtype: 'float64', shape: [1, 1, 2, 2] });
    const b = tensor([0, 0, 1, 0.5], { dtype: 'float64', shape: [1, 1, 2, 2] });
    expect([...complement_of_union([a, b]).data]).toEqual([0, 1, 0, 0.5]);
    expect(() => complement_of_union([])).toThrow('complement_of_union needs at least one mask');
  });
});

describe('--extract_background', () => {
  it('trains one concept more, whose mask is what no mask covers', async () => {
    const scene = writeScene(tmp.fresh('scene'), THREE_RECTS.slice(0, 2));
    const out = tmp.fresh('out');
    const logs: string[] = [];
    const config = tinyTrainConfig(model, scene, out, { num_of_assets: 2, extract_background: true, no_union_sampling: true, phase1_train_steps: 2, phase2_train_steps: 1 });
    await new BreakASceneTrainer(config, { log: (m) => void logs.push(m) }).train();
    // the two rectangles cover 16 + 12 of the 64 pixels
    expect(logs).toContain('background: concept 2 learns what no mask covers (56% of the image)');
    const trained = loadModel(out);
    const ids = ['<asset0>', '<asset1>', '<asset2>'].map((t) => trained.tokenizer.convert_tokens_to_ids(t));
    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    // without union sampling every step's prompt names all three concepts (indices), background last
    const lines = readMetrics(out);
    expect(lines.length).toBe(3);
    for (const line of lines) expect(line.concepts[0]!.ids).toEqual([0, 1, 2]);
  });

  it('starts the background token from the word "background" when the others start from words', async () => {
    const scene = writeScene(tmp.fresh('scene'), THREE_RECTS.slice(0, 2));
    const out = tmp.fresh('out');
    const config = tinyTrainConfig(model, scene, out, { num_of_assets: 2, extract_background: true, initializer_tokens: ['red', 'green'], phase1_train_steps: 0, phase2_train_steps: 0 });
    await new BreakASceneTrainer(config, { log: () => undefined }).train();
    const m = loadModel(out);
    const table = m.text_encoder.get_input_embeddings().weight;
    const row = (word: string): number[] => {
      const id = m.tokenizer.convert_tokens_to_ids(word) as number;
      const d = table.shape[1]!;
      return [...table.data.subarray(id * d, (id + 1) * d)];
    };
    expect(row('<asset2>')).toEqual(row('background'));
    expect(row('<asset0>')).toEqual(row('red'));
  });

  it('refuses masks that leave no background, naming the flag and the folder', async () => {
    const scene = writeScene(tmp.fresh('scene'), [{ y0: 0, y1: 8, x0: 0, x1: 8, rgb: [200, 0, 0] }]);
    const config = tinyTrainConfig(model, scene, tmp.fresh('out'), { num_of_assets: 1, extract_background: true });
    await expect(new BreakASceneTrainer(config, { log: () => undefined }).train()).rejects.toThrow(
      `extract_background: the masks of ${scene} cover the whole image at 8x8, so there is no background to learn`,
    );
  });
});
