// --validation_prompt / --validation_steps / --num_validation_images: every N optimizer steps and
// at the end, K samples per prompt (image k from seed + k) with their attention tiles, in
// OUTPUT/validation/step-N/ with an index, shown in report.html. Validation samples with generators
// of its own: the training run (metrics, weights) is bit for bit the run without validation, and a
// run stopped and resumed at every step writes the same validation images as one that was not.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { readImage } from '../../bas/io/image.js';
import type { TrainConfig } from '../../bas/train/config.js';
import type { ValidationIndex } from '../../bas/train/run_outputs.js';
import { BreakASceneTrainer, type TrainResult } from '../../bas/train/trainer.js';
import { parseFlags } from '../../cli/args.js';
import { TRAIN_FLAGS } from '../../cli/train.js';
import { differingTensors, listFiles, readWeights, tempRoot, tinyTrainConfig, writeScene, writeTinyModel } from '../helpers/tiny_model.js';

const tmp = tempRoot('bas-validation');
let model = '';
let scene = '';
let logs: string[] = [];
beforeAll(() => {
  model = writeTinyModel(tmp.fresh('model'), 3);
  scene = writeScene(tmp.fresh('scene'));
});
afterAll(() => tmp.cleanup());
beforeEach(() => {
  logs = [];
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
});

async function train(out: string, overrides: Partial<TrainConfig>, stopAfterFirstStep = false): Promise<TrainResult> {
  const trainer: BreakASceneTrainer = new BreakASceneTrainer(tinyTrainConfig(model, scene, out, overrides), {
    log: (m) => void logs.push(m),
    ...(stopAfterFirstStep ? { onStep: () => trainer.requestStop() } : {}),
  });
  return trainer.train();
}

const PROMPTS = ['a photo of <asset0>', 'a photo of <asset1> and <asset2>'];
// 5 steps, validation every 2: after steps 2 and 4, and at the end (5); prior preservation on
const FLAGS: Partial<TrainConfig> = {
  phase1_train_steps: 3, phase2_train_steps: 2, seed: 5, initial_learning_rate: 1e-2, learning_rate: 1e-3, checkpointing_steps: 1,
  no_prior_preservation: false, num_class_images: 2, sample_batch_size: 1, num_inference_steps: 2,
};
const VALIDATION: Partial<TrainConfig> = { validation_prompt: PROMPTS, validation_steps: 2, num_validation_images: 2 };

const files = (out: string): string[] => listFiles(join(out, 'validation'));
const bytesOf = (out: string): string[] => files(out).map((f) => readFileSync(join(out, 'validation', f)).toString('base64'));

describe('validation during training', () => {
  let reference = '';
  let validated = '';
  let validatedLogs: string[] = [];
  beforeAll(async () => {
    reference = tmp.fresh('plain');
    validated = tmp.fresh('val');
    await train(reference, FLAGS);
    logs = [];
    await train(validated, { ...FLAGS, ...VALIDATION });
    validatedLogs = logs;
  });

  it('writes K images per prompt and their attention tiles every N steps and at the end, with an index', () => {
    const perStep = ['index.json', 'p0-0.png', 'p0-0_attn.png', 'p0-1.png', 'p0-1_attn.png', 'p1-0.png', 'p1-0_attn.png', 'p1-1.png', 'p1-1_attn.png'];
    expect(files(validated)).toEqual([2, 4, 5].flatMap((s) => perStep.map((f) => join(`step-${s}`, f))));
    expect(validatedLogs.filter((l) => l.startsWith('validation at step'))).toEqual([2, 4, 5].map((s) => `validation at step ${s}: wrote ${join(validated, 'validation', `step-${s}`)}`));
    const index = JSON.parse(readFileSync(join(validated, 'validation', 'step-4', 'index.json'), 'utf8')) as ValidationIndex;
    expect(index).toMatchObject({ step: 4, num_inference_steps: 2, guidance_scale: 7.5, eta: 0 });
    expect(index.images.map((e) => [e.prompt, e.seed, e.file, e.attention])).toEqual([
      [PROMPTS[0], 5, 'p0-0.png', 'p0-0_attn.png'],
      [PROMPTS[0], 6, 'p0-1.png', 'p0-1_attn.png'],
      [PROMPTS[1], 5, 'p1-0.png', 'p1-0_attn.png'],
      [PROMPTS[1], 6, 'p1-1.png', 'p1-1_attn.png'],
    ]);
    const img = readImage(join(validated, 'validation', 'step-4', 'p0-0.png'));
    expect([img.width, img.height]).toEqual([8, 8]);
    // one tile per prompt token: "a photo of <asset1> and <asset2>" has 6, at 128 px and 4 px apart
    expect(readImage(join(validated, 'validation', 'step-4', 'p1-0_attn.png')).width).toBe(6 * 128 + 5 * 4);
    // the two seeds give two different images; the weights change between validations, and so do the samples
    const dir = (s: number): string => join(validated, 'validation', `step-${s}`);
    expect(readFileSync(join(dir(4), 'p0-0.png'))).not.toEqual(readFileSync(join(dir(4), 'p0-1.png')));
    expect(readFileSync(join(dir(2), 'p1-0.png'))).not.toEqual(readFileSync(join(dir(5), 'p1-0.png')));
  });

  it('--eta reaches the class images and the validation samples, and the index records it', async () => {
    const out = tmp.fresh('eta');
    await train(out, { ...FLAGS, ...VALIDATION, eta: 1 });
    const index = JSON.parse(readFileSync(join(out, 'validation', 'step-2', 'index.json'), 'utf8')) as ValidationIndex;
    expect(index).toMatchObject({ step: 2, num_inference_steps: 2, guidance_scale: 7.5, eta: 1 });
    // same seeds and weights at step 2 except for what the class images changed: DDIM's fresh noise draws other pictures
    const classes = (o: string): Buffer[] => listFiles(join(o, 'class_images')).map((f) => readFileSync(join(o, 'class_images', f)));
    expect(classes(out).length).toBe(2);
    expect(classes(out)).not.toEqual(classes(validated));
    expect(readFileSync(join(out, 'validation', 'step-2', 'p0-0.png'))).not.toEqual(readFileSync(join(validated, 'validation', 'step-2', 'p0-0.png')));
  });

  it('leaves the training stream alone: metrics and weights equal the run without validation, bit for bit', () => {
    expect(readFileSync(join(validated, 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(reference, 'metrics.jsonl'), 'utf8'));
    expect(differingTensors(readWeights(reference), readWeights(validated))).toEqual([]);
  });

  it('resumed at every step, the run writes the same validation images and the same model', async () => {
    const out = tmp.fresh('chain');
    for (let k = 0; k < 5; k++) {
      const flags = { ...FLAGS, ...VALIDATION, checkpoints_total_limit: 1 };
      const r = await train(out, k === 0 ? flags : { ...flags, resume_from_checkpoint: 'latest' }, true);
      expect(r.steps).toBe(k + 1);
    }
    expect(files(out)).toEqual(files(validated));
    expect(bytesOf(out)).toEqual(bytesOf(validated));
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(reference, 'metrics.jsonl'), 'utf8'));
    expect(differingTensors(readWeights(reference), readWeights(out))).toEqual([]);
  });

  it('shows the samples in report.html, one heading per validation step, captioned with prompt and seed', () => {
    const html = readFileSync(join(validated, 'report.html'), 'utf8');
    const section = html.slice(html.indexOf('<h2>Validation samples</h2>'), html.indexOf('<h2>Flags</h2>'));
    expect([...section.matchAll(/<h3>(.*?)<\/h3>/g)].map((m) => m[1])).toEqual(['step 2', 'step 4', 'step 5']);
    expect((section.match(/<img /g) ?? []).length).toBe(3 * 8);
    expect(section).toContain('<figcaption>&quot;a photo of &lt;asset1&gt; and &lt;asset2&gt;&quot;, seed 6</figcaption>');
    expect(section).toContain('<figcaption>its cross-attention</figcaption>');
    expect(readFileSync(join(reference, 'report.html'), 'utf8')).toContain('no validation samples (pass --validation_prompt)');
  });
});

describe('the flags', () => {
  it('--validation_prompt may be given more than once; the defaults are no validation, every 100 steps, 4 images', () => {
    const f = parseFlags(['--instance_data_dir', 's', '--validation_prompt', 'a photo of <asset0>', '--validation_prompt', 'a photo of <asset1>', 'a photo of <asset0> and <asset1>'], TRAIN_FLAGS, 'train');
    expect(f.validation_prompt).toEqual(['a photo of <asset0>', 'a photo of <asset1>', 'a photo of <asset0> and <asset1>']);
    const d = tinyTrainConfig('m', 's', 'o');
    expect([d.validation_prompt, d.validation_steps, d.num_validation_images]).toEqual([[], 100, 4]);
  });
});
