// The playground's worker protocol, run in-process with no browser: the page's requests against a
// PlaygroundSession on the memory platform and the tiny model. A world scene, two training steps
// with the live attention view (maps per layer, each the right size, one per token, divided by
// their max), pause / step / reset, a generation with per-step images and maps, the gradient check.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadModel } from '../../bas/model.js';
import { run as runGenerate } from '../../cli/generate.js';
import { setPlatform } from '../../platform/index.js';
import { nodePlatform } from '../../platform/node/index.js';
import { tempRoot } from '../helpers/tiny_model.js';
import { extractTo, unzipStore } from './unzip.js';
import type { Reply } from '../../playground/protocol.js';
import { DEFAULT_SETTINGS } from '../../playground/worker/train_settings.js';
import { drive, type Driver } from './session_helpers.js';

const is =
  <K extends Reply['type']>(type: K, extra: (r: Extract<Reply, { type: K }>) => boolean = () => true) =>
  (r: Reply): r is Extract<Reply, { type: K }> =>
    r.type === type && extra(r as Extract<Reply, { type: K }>);

const SETTINGS = { ...DEFAULT_SETTINGS, phase1_train_steps: 1, phase2_train_steps: 1, prior_preservation: false };

const tmp = tempRoot('bas-playground');

describe('playground session (in-process)', () => {
  let d: Driver;
  beforeAll(async () => {
    // the trainer's progress lines go to console.log without a terminal
    vi.spyOn(console, 'log').mockImplementation(() => {});
    d = drive();
    await d.send({ type: 'init', backend: 'cpu', model: 'tiny', threads: false });
  });
  afterAll(() => {
    d.restore();
    tmp.cleanup();
  });

  it('loads the model and reports the backend it runs on', async () => {
    const ready = await d.until(is('ready'));
    expect(ready).toMatchObject({ backend: 'cpu', model: 'tiny', resolution: 16, threads: false });
  });

  it('draws a world scene with one exact mask per object', async () => {
    await d.send({ type: 'scene-world', seed: 3, num_objects: 2 });
    const { scene } = await d.until(is('scene'));
    expect([scene.width, scene.height, scene.rgb.length, scene.masks.length]).toEqual([32, 32, 32 * 32 * 3, 2]);
    for (const m of scene.masks) expect(m.some((v) => v === 255) && m.every((v) => v === 0 || v === 255)).toBe(true);
    expect(scene.caption).toMatch(/^a photo of /);
  });

  it('trains two steps and sends each step the attention of every layer for each token', async () => {
    const from = d.replies.length;
    await d.send({ type: 'view', live: true, timestep: 200 });
    await d.send({ type: 'train', settings: SETTINGS, paused: false });
    await d.until(is('state', (r) => r.state === 'done'), from);
    const steps = d.of('step').map((r) => r.line);
    expect(steps.map((l) => [l.step, l.phase])).toEqual([[1, 1], [2, 2]]);
    for (const l of steps) expect(Number.isFinite(l.loss) && l.loss > 0).toBe(true);
    const att = d.of('attention');
    expect(att.map((a) => a.step)).toEqual([1, 2]);
    const last = att[1]!;
    expect(last.tokens).toEqual(['<asset0>', '<asset1>']);
    // the loss's average (down and up have maps only at 16x16 here), then each layer: down 0 and up 1 (two attentions) at 16x16, mid at 8x8
    expect(last.layers.map((l) => [l.label, l.res])).toEqual([
      ['the loss: down + up average, 16x16', 16],
      ['down layer 0 (16x16)', 16],
      ['mid layer 0 (8x8)', 8],
      ['up layer 0 (16x16)', 16],
      ['up layer 1 (16x16)', 16],
    ]);
    for (const layer of last.layers) {
      expect(layer.maps).toHaveLength(2);
      expect(layer.iou).toHaveLength(2);
      for (const m of layer.maps) {
        expect(m).toBeInstanceOf(Float32Array);
        expect(m.length).toBe(layer.res * layer.res);
        expect(Math.max(...m)).toBeCloseTo(1, 6);
        expect(Math.min(...m)).toBeGreaterThanOrEqual(0);
      }
      for (const v of layer.iou) expect(v >= 0 && v <= 1).toBe(true);
    }
  });

  it('zips the trained model as a pipeline folder that the loader and bas generate read', async () => {
    await d.send({ type: 'download' });
    const zip = await d.until(is('zip'));
    expect(zip.name).toBe('bas-playground-model-step2.zip');
    const entries = unzipStore(zip.bytes);
    expect(Object.keys(entries).sort()).toEqual(expect.arrayContaining(['bas-playground-model/model_index.json', 'bas-playground-model/unet/diffusion_pytorch_model.safetensors', 'bas-playground-model/tokenizer/added_tokens.json']));
    // the live model is the trained one: its weights are the trainer's saved model, byte for byte
    for (const rel of ['unet/diffusion_pytorch_model.safetensors', 'text_encoder/model.safetensors']) {
      expect(Buffer.from(entries[`bas-playground-model/${rel}`]!).equals(Buffer.from(d.session.files.readFile(`/runs/run-1/${rel}`))), rel).toBe(true);
    }
    const dir = join(extractTo(entries, tmp.fresh('zip')), 'bas-playground-model');
    const previous = setPlatform(nodePlatform());
    try {
      const model = loadModel(dir);
      expect(model.tokenizer.convert_tokens_to_ids(['<asset0>', '<asset1>']).every((id) => id >= 0)).toBe(true);
      const out = join(tmp.root, 'gen.png');
      expect(await runGenerate(['--model_path', dir, '--prompt', 'a photo of <asset1>', '--output_path', out, '--num_inference_steps', '2', '--backend', 'cpu'])).toBe(0);
      expect(existsSync(out)).toBe(true);
    } finally {
      setPlatform(previous);
    }
  });

  it('generates with the learned tokens, a picture and per-token maps at every DDIM step', async () => {
    const from = d.replies.length;
    await d.send({ type: 'generate', prompt: 'a photo of <asset1> and <asset0>', seed: 1, steps: 3, guidance: 4 });
    await d.until(is('generated'), from);
    const steps = d.replies.slice(from).filter(is('generate-step'));
    expect(steps.map((s) => s.step)).toEqual([0, 1, 2]);
    // DDIM's timesteps go down
    expect(steps[0]!.timestep).toBeGreaterThan(steps[2]!.timestep);
    for (const s of steps) {
      expect([s.size, s.image.length, s.x0.length, s.res]).toEqual([16, 16 * 16 * 3, 16 * 16 * 3, 16]);
      expect(s.tokens).toEqual(['a', 'photo', 'of', '<asset1>', 'and', '<asset0>']);
      for (const m of s.maps) expect(m.length).toBe(256);
    }
  });

  it('pauses after a step, steps one at a time, and resets', async () => {
    await d.send({ type: 'reset' });
    let from = d.replies.length;
    await d.send({ type: 'train', settings: { ...SETTINGS, phase2_train_steps: 3 }, paused: true });
    await d.until(is('state', (r) => r.state === 'paused' && r.step === 1), from);
    // held: no second step comes while paused
    await new Promise((r) => setTimeout(r, 100));
    expect(d.replies.slice(from).filter(is('step')).map((s) => s.line.step)).toEqual([1]);
    from = d.replies.length;
    await d.send({ type: 'step' });
    await d.until(is('state', (r) => r.state === 'paused' && r.step === 2), from);
    await d.send({ type: 'reset' });
    const idle = await d.until(is('state', (r) => r.state === 'idle'), from);
    expect(idle.step).toBe(0);
    expect(d.replies.slice(from).filter(is('step')).map((s) => s.line.step)).toEqual([2]);
  });

  it('reports a request it cannot serve in one line, naming the request', async () => {
    const from = d.replies.length;
    await d.send({ type: 'pause' });
    const err = d.replies.slice(from).find(is('error'));
    expect(err).toMatchObject({ request: 'pause', message: 'no training run is going: press Start or Step first' });
    d.replies.splice(from);
  });

  it('runs the gradient check of the whole loss and reports every row ok', async () => {
    await d.send({ type: 'gradcheck' });
    const g = await d.until(is('gradcheck'));
    expect(g.ok).toBe(true);
    expect(g.rows.length).toBeGreaterThan(10);
    expect(g.table.split('\n')[0]).toMatch(/^\| parameter +\| shape/);
  });
});
