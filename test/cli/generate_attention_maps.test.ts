// `bas generate --save_attention_maps DIR`: per denoising step, per cross-attention layer and per
// prompt token, one tile and one index entry; the per-step maps average to the aggregate map the
// sampler reports; and a folder already holding files is refused before anything is written.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { readImage } from '../../bas/io/image.js';
import { loadModel, sample } from '../../bas/model.js';
import type { StepAttentionIndex } from '../../bas/vis/step_attention_folder.js';
import { mean, stack } from '../../core/index.js';
import { captureConsole, expectRejected, type Captured } from '../helpers/cli.js';
import { tempRoot, trainArgv, writeScene, writeTinyModel } from '../helpers/tiny_model.js';

const tmp = tempRoot('bas-generate-maps');
let trained = '';
beforeAll(async () => {
  const quiet = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  trained = tmp.fresh('trained');
  const code = await main(['train', ...trainArgv(writeTinyModel(tmp.fresh('base')), writeScene(tmp.fresh('scene')), trained, ['--phase1_train_steps', '2', '--phase2_train_steps', '0'])]);
  quiet.mockRestore();
  expect(code).toBe(0);
});
afterAll(() => tmp.cleanup());

let c: Captured;
beforeEach(() => {
  c = captureConsole();
});
afterEach(() => vi.restoreAllMocks());

const PROMPT = 'a photo of <asset1> at the beach';

describe('bas generate --save_attention_maps', () => {
  it('writes a tile per step, layer and prompt token, and an index naming them with their timesteps', async () => {
    const dir = tmp.fresh('gen');
    const maps = join(dir, 'maps');
    const code = await main(['generate', '--model_path', trained, '--prompt', PROMPT, '--output_path', join(dir, 'img.png'), '--num_inference_steps', '4', '--save_attention_maps', maps]);
    expect(c.errors).toEqual([]);
    expect(code).toBe(0);
    const index = JSON.parse(readFileSync(join(maps, 'index.json'), 'utf8')) as StepAttentionIndex;
    expect(index.prompt).toBe(PROMPT);
    // every word of the prompt (DAAM's sense), the start and end tokens left out
    expect(index.tokens.map((t) => t.text)).toEqual(['a', 'photo', 'of', '<asset1>', 'at', 'the', 'beach']);
    expect(index.tokens.map((t) => t.position)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // DDIM's 4 steps, from noisy to clean
    expect(index.steps.map((s) => s.step)).toEqual([0, 1, 2, 3]);
    const ts = index.steps.map((s) => s.timestep);
    expect([...ts].sort((a, b) => b - a)).toEqual(ts);
    expect(new Set(ts).size).toBe(4);
    // the cross-attention layers, by diffusers' names
    expect(index.layers.length).toBeGreaterThan(0);
    for (const l of index.layers) expect(l.name).toMatch(/^(down_blocks|mid_block|up_blocks)\..*\.attn2$/);
    expect(index.maps).toHaveLength(4 * index.layers.length * 7);
    for (const m of index.maps) {
      const img = readImage(join(maps, m.file));
      expect(img.width).toBe(64);
      expect(m.max).toBeGreaterThan(0);
      expect(m.max).toBeLessThanOrEqual(1);
      expect(m.mean).toBeLessThanOrEqual(m.max);
    }
    // the maps change over the steps
    const token = index.maps.filter((m) => m.token === '<asset1>' && m.layer === index.layers[0]!.name).map((m) => m.mean);
    expect(new Set(token).size).toBeGreaterThan(1);
    expect(c.logs.some((l) => l.startsWith(`wrote ${maps}: ${index.maps.length} maps (4 steps x ${index.layers.length} layers x 7 tokens)`))).toBe(true);
  });

  it('the per-step maps of the supervised grid average to the aggregate attention map', () => {
    const model = loadModel(trained);
    const out = sample(model, { prompt: PROMPT, seed: 1, num_inference_steps: 3, guidance_scale: 7.5, record_attention: true, record_step_attention: true });
    const steps = out.step_attention!;
    expect(steps).toHaveLength(3);
    const res = out.attention!.dim(0);
    // up and down layers at the aggregate's grid (mid is not part of aggregate_attention)
    const perStep = steps.flatMap((s) => s.layers.filter((l) => l.res === res && l.place !== 'mid').map((l) => l.map));
    expect(perStep.length).toBeGreaterThan(0);
    const avg = mean(stack(perStep, 0), 0);
    const got = Array.from(avg.data);
    Array.from(out.attention!.data).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
  });

  it('a folder that already holds files: one error line, no image and no maps written', async () => {
    const dir = tmp.fresh('busy');
    const maps = join(dir, 'maps');
    mkdirSync(maps, { recursive: true });
    writeFileSync(join(maps, 'notes.txt'), 'mine');
    const img = join(dir, 'img.png');
    await expectRejected(c, ['generate', '--model_path', trained, '--prompt', PROMPT, '--output_path', img, '--num_inference_steps', '2', '--save_attention_maps', maps], ['--save_attention_maps', maps, 'not empty'], [dir]);
    expect(existsSync(img)).toBe(false);
    expect(readdirSync(maps)).toEqual(['notes.txt']);
  });
});
