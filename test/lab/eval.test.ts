// `bas eval`: the base-model measurement judged on samplers whose answer is known (one that draws
// exactly what the prompt asks scores 100%, one that draws the wrong shape keeps the colour and
// loses the shape, a blank one scores 0), then `bas eval --quick` end to end on the shipped model.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { evalBaseModel, type BaseEvalOptions, type PromptSampler } from '../../lab/eval/base_model.js';
import { BACKGROUNDS, COLOURS, renderScene, SHAPE_NAMES, type ColourName, type Scene, type ShapeName } from '../../lab/world/index.js';
import { tensor } from '../../core/index.js';
import { tempRoot } from '../helpers/tiny_model.js';
import { captureConsoleEachTest } from '../helpers/console_capture.js';

const tmp = tempRoot('bas-eval');
afterAll(() => tmp.cleanup());

/** Draws the prompt's objects on grey: one in the middle, or two side by side, each radius 6. */
function worldSampler(shapeFor: (asked: ShapeName) => ShapeName, blank = false): PromptSampler {
  return (prompt, num_images) => {
    const m = /^a photo of (.+)$/.exec(prompt);
    if (!m) throw new Error(`unexpected prompt ${prompt}`);
    const phrases = m[1]!.split(' and ').map((p) => p.split(' ').slice(1) as [ColourName, ShapeName]);
    const grey = BACKGROUNDS.find((b) => b.name === 'grey')!;
    const objects = blank ? [] : phrases.map(([colour, shape], i) => ({
      shape: shapeFor(shape), colour, rgb: [...COLOURS.find((c) => c.name === colour)!.rgb] as [number, number, number], size: 'large' as const,
      cx: phrases.length === 1 ? 16 : 8.5 + 15 * i, cy: 16, radius: 6, visible_fraction: 1,
    }));
    const scene: Scene = { resolution: 32, background: { name: 'grey', texture: 'plain', rgb: [...grey.rgb] as [number, number, number], params: { period: 0, orientation: 'horizontal', seed: 0 } }, objects, caption: prompt };
    const rgb = renderScene(scene).rgb;
    const out = new Float32Array(num_images * 3 * 32 * 32);
    for (let b = 0; b < num_images; b++) for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) out[(b * 3 + c) * 1024 + p] = rgb[p * 3 + c]! / 127.5 - 1;
    return tensor(out, { shape: [num_images, 3, 32, 32] });
  };
}

const opts: BaseEvalOptions = { colours: ['red', 'blue', 'green', 'yellow'], shapes: ['circle', 'square', 'triangle'], seeds: 2, pairs: 3, num_inference_steps: 1, guidance_scale: 1, seed: 0 };

describe('base-model measurement on known samplers', () => {
  it('a sampler drawing exactly the prompt scores 100% on colour, shape and pairs', () => {
    const r = evalBaseModel(worldSampler((s) => s), opts);
    expect(r).toMatchObject({ colour_fidelity: 1, shape_fidelity: 1, both_present: 1, single_images: 24, pair_images: 6 });
  });

  it('the wrong shape keeps colour fidelity and loses shape fidelity and pairs', () => {
    const other = (s: ShapeName): ShapeName => (s === 'star' ? 'cross' : 'star');
    expect(SHAPE_NAMES).toContain('star');
    const r = evalBaseModel(worldSampler(other), opts);
    expect(r).toMatchObject({ colour_fidelity: 1, shape_fidelity: 0, both_present: 0 });
  });

  it('a blank image scores 0 everywhere', () => {
    const r = evalBaseModel(worldSampler((s) => s, true), opts);
    expect(r).toMatchObject({ colour_fidelity: 0, shape_fidelity: 0, both_present: 0 });
  });
});

describe('bas eval --quick', () => {
  captureConsoleEachTest(); // the command's output, kept off the test log

  it('runs end to end on the shipped model and writes eval.md and eval.json', async () => {
    const out = tmp.fresh('eval');
    expect(await main(['eval', '--quick', '--mask_noise', 'grid8', '--output_dir', out])).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8')) as {
      command: string;
      base: { colour_fidelity: number; shape_fidelity: number; both_present: number; single_images: number };
      break_a_scene: { variant: string; mask_noise?: string; training_mask_iou?: number; attention_iou: number; identity: number; identity_colour: number; disentanglement: number; per_scene: { identity: number[]; identity_colour: number[] }[] }[];
    };
    expect(json.command).toBe(`npx bas eval --quick --mask_noise grid8 --output_dir ${out}`);
    expect(json.base.single_images).toBe(2);
    for (const v of [json.base.colour_fidelity, json.base.shape_fidelity, json.base.both_present]) expect(v).toBeGreaterThanOrEqual(0);
    expect(json.break_a_scene.map((v) => v.variant)).toEqual(['full', 'lambda_attention 0', 'full, grid8 masks']);
    // the grid run trained on coarser masks than the truth, and says how much coarser
    const grid = json.break_a_scene[2]!;
    expect(grid.mask_noise).toBe('grid8');
    expect(grid.training_mask_iou).toBeGreaterThan(0);
    expect(grid.training_mask_iou).toBeLessThan(1);
    expect(existsSync(join(out, 'scenes_grid8', 'scene-0', 'mask0.png'))).toBe(true);
    for (const v of json.break_a_scene) {
      expect(v.attention_iou).toBeGreaterThanOrEqual(0);
      expect(v.attention_iou).toBeLessThanOrEqual(1);
      expect(Number.isFinite(v.identity) && Number.isFinite(v.disentanglement)).toBe(true);
      // a concept found with its shape is found by its colour: per concept, colour-only >= identity
      for (const p of v.per_scene) {
        expect(p.identity_colour.length).toBe(p.identity.length);
        p.identity.forEach((id, i) => expect(p.identity_colour[i]).toBeGreaterThanOrEqual(id));
      }
    }
    const md = readFileSync(join(out, 'eval.md'), 'utf8');
    expect(md).toContain(`Reproduce: \`npx bas eval --quick --mask_noise grid8 --output_dir ${out}\``);
    expect(md).toMatch(/\| exact \| 1\.000 \| [01]\.\d{3} \|/);
    expect(md).toMatch(/\| grid8 \| 0\.\d{3} \| [01]\.\d{3} \|/);
    expect(md).toContain('| variant | attention IoU | identity | identity: colour only | disentanglement | pairs: both found |');
    expect(md).toMatch(/\| full \| [01]\.\d{3} \| [\d.]+% \| [\d.]+% \| [\d.]+% \| [\d.]+% \|/);
    expect(existsSync(join(out, 'runs', 'full', 'scene-0', 'model_index.json'))).toBe(true);
  }, 600_000);
});
