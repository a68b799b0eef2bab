// The two-phase trainer on the tiny model: phase-1 row restore, exact resume (inside phase 1, at
// the phase boundary, inside phase 2), class images generated once and reused, checkpoint pruning,
// and the stop on a non-finite loss.
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { readImage } from '../../bas/io/image.js';
import { loadModel } from '../../bas/model.js';
import { BreakASceneTrainer, type TrainResult } from '../../bas/train/trainer.js';
import type { TrainConfig } from '../../bas/train/config.js';
import { differingTensors, readMetrics, readWeights, tempRoot, tensorBytes, tinyTrainConfig, trainArgv, writeScene, writeTinyModel } from '../helpers/tiny_model.js';
import { captureConsoleEachTest } from '../helpers/console_capture.js';

const tmp = tempRoot('bas-train-run');
let model = '';
let scene = '';
beforeAll(() => {
  model = writeTinyModel(tmp.fresh('model'), 7);
  scene = writeScene(tmp.fresh('scene'));
});
afterAll(() => tmp.cleanup());

// the progress bar prints through console.log; keep it, and the trainer's log, for assertions
const { logs } = captureConsoleEachTest();

const log = (m: string): void => void logs.push(m);

async function train(out: string, overrides: Partial<TrainConfig>, opts: { stopAfterFirstStep?: boolean } = {}): Promise<TrainResult> {
  // a stop requested during the first step is honoured after it, as a Ctrl-C would be (one asked
  // for before the run starts stops the class images instead: test/cli/interrupt.test.ts)
  const trainer: BreakASceneTrainer = new BreakASceneTrainer(tinyTrainConfig(model, scene, out, overrides), {
    log,
    ...(opts.stopAfterFirstStep ? { onStep: () => trainer.requestStop() } : {}),
  });
  return trainer.train();
}

const metricsText = (out: string): string => readFileSync(join(out, 'metrics.jsonl'), 'utf8');

describe('phase 1 (textual inversion)', () => {
  it('changes only the placeholder rows: every other weight stays bit-identical to the base model', async () => {
    const out = tmp.fresh('out');
    const r = await train(out, { phase1_train_steps: 4, phase2_train_steps: 0, initializer_tokens: ['red', 'green', 'blue'], initial_learning_rate: 1e-2 });
    expect(r).toMatchObject({ steps: 4, interrupted: false });
    expect(readMetrics(out).map((m) => m.phase)).toEqual([1, 1, 1, 1]);

    const base = loadModel(model);
    const trained = loadModel(out);
    const V = base.tokenizer.length;
    const ids = trained.tokenizer.convert_tokens_to_ids(['<asset0>', '<asset1>', '<asset2>']);
    expect(ids).toEqual([V, V + 1, V + 2]);
    const dim = base.text_encoder.get_input_embeddings().embedding_dim;
    const before = base.text_encoder.get_input_embeddings().weight.data;
    const after = trained.text_encoder.get_input_embeddings().weight.data;
    expect(after.length).toBe((V + 3) * dim);
    // rows 0..V-1, including those the prompts use ("a", "photo", "of", "and", start, end), bit for bit
    expect(Buffer.compare(Buffer.from(tensorBytes(trained.text_encoder.get_input_embeddings().weight).subarray(0, V * dim * 4)), Buffer.from(tensorBytes(base.text_encoder.get_input_embeddings().weight)))).toBe(0);
    // each placeholder row started as its initializer's row and moved away from it
    ['red', 'green', 'blue'].forEach((w, i) => {
      const src = base.tokenizer.convert_tokens_to_ids([w])[0]!;
      const row = after.subarray(ids[i]! * dim, (ids[i]! + 1) * dim);
      const init = before.subarray(src * dim, (src + 1) * dim);
      const moved = Math.max(...row.map((v, j) => Math.abs(v - init[j]!)));
      expect(moved, w).toBeGreaterThan(1e-3);
    });
    // phase 1 does not touch the UNet or the rest of the text encoder
    const a = readWeights(model);
    const b = readWeights(out);
    const table = 'text_encoder.text_model.embeddings.token_embedding.weight';
    delete a[table];
    delete b[table];
    expect(differingTensors(a, b)).toEqual([]);
  });
});

describe('resume', () => {
  // lr large enough that every step moves the weights; prior preservation on, so the class
  // batch (indexed by step) and the class-image folder take part in the resume too
  const FLAGS: Partial<TrainConfig> = {
    phase1_train_steps: 3, phase2_train_steps: 3, seed: 5, initial_learning_rate: 1e-2, learning_rate: 1e-3,
    no_prior_preservation: false, num_class_images: 2, sample_batch_size: 1, num_inference_steps: 2,
  };
  let reference = '';
  beforeAll(async () => {
    reference = tmp.fresh('ref');
    const quiet = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const r = await new BreakASceneTrainer(tinyTrainConfig(model, scene, reference, FLAGS), { log: () => undefined }).train();
    quiet.mockRestore();
    expect(r).toMatchObject({ steps: 6, interrupted: false });
  });

  it('the reference run trains both phases with prior preservation', () => {
    const m = readMetrics(reference);
    expect(m.map((l) => [l.step, l.phase])).toEqual([[1, 1], [2, 1], [3, 1], [4, 2], [5, 2], [6, 2]]);
    expect(m.every((l) => l.prior_loss !== null && l.attn_loss !== null)).toBe(true);
    expect(m.map((l) => l.lr)).toEqual([1e-2, 1e-2, 1e-2, 1e-3, 1e-3, 1e-3]);
    expect(readdirSync(join(reference, 'class_images')).sort()).toEqual(['class-0000.png', 'class-0001.png']);
  });

  it('stopping after every step and resuming from "latest" equals the uninterrupted run, bit for bit', async () => {
    const out = tmp.fresh('chain');
    const extra: Partial<TrainConfig> = { ...FLAGS, checkpoints_total_limit: 1 };
    // resumes at steps 1, 2 (phase 1), 3 (the boundary: a fresh phase-2 optimizer), 4, 5 (phase 2)
    for (let k = 0; k < 6; k++) {
      const r = await train(out, k === 0 ? extra : { ...extra, resume_from_checkpoint: 'latest' }, { stopAfterFirstStep: true });
      expect(r.steps).toBe(k + 1);
      expect(r.interrupted).toBe(k < 5);
      // checkpoints_total_limit 1: only the newest checkpoint is kept
      if (k < 5) expect(readdirSync(out).filter((n) => n.startsWith('checkpoint-'))).toEqual([`checkpoint-${k + 1}`]);
      if (k > 0) expect(logs).toContain(`resuming from ${join(out, `checkpoint-${k}`)} at step ${k}`);
      // class images are generated by the first run only
      expect(logs.some((l) => l.startsWith('generating'))).toBe(k === 0);
      logs.length = 0;
    }
    expect(metricsText(out)).toBe(metricsText(reference));
    expect(differingTensors(readWeights(reference), readWeights(out))).toEqual([]);
    expect(readFileSync(join(out, 'tokenizer', 'added_tokens.json'), 'utf8')).toBe(readFileSync(join(reference, 'tokenizer', 'added_tokens.json'), 'utf8'));
  });

  it('resuming from an explicit checkpoint drops the later metrics lines and replays them identically', async () => {
    // one run checkpointing every step: the same results as the reference (saving perturbs nothing)
    const full = tmp.fresh('full');
    // every checkpoint kept (the default keeps the newest 3)
    await train(full, { ...FLAGS, checkpointing_steps: 1, checkpoints_total_limit: 6 });
    expect(metricsText(full)).toBe(metricsText(reference));
    expect(differingTensors(readWeights(reference), readWeights(full))).toEqual([]);

    for (const k of [2, 3, 4]) {
      const out = tmp.fresh(`from${k}`);
      cpSync(full, out, { recursive: true });
      // the finished model goes, so only the resumed run can put it back
      for (const n of ['model_index.json', 'unet', 'text_encoder', 'tokenizer', 'scheduler']) rmSync(join(out, n), { recursive: true });
      const r = await train(out, { ...FLAGS, resume_from_checkpoint: join(out, `checkpoint-${k}`) });
      expect(r.steps).toBe(6);
      expect(metricsText(out), `resumed at ${k}`).toBe(metricsText(reference));
      expect(differingTensors(readWeights(reference), readWeights(out)), `resumed at ${k}`).toEqual([]);
    }
  });
});

describe('class images', () => {
  it('are generated once into --class_data_dir, reused by a later run, and topped up when more are asked for', async () => {
    const classes = tmp.fresh('classes');
    const flags: Partial<TrainConfig> = { phase1_train_steps: 1, phase2_train_steps: 1, no_prior_preservation: false, class_data_dir: classes, num_class_images: 2, num_inference_steps: 2, sample_batch_size: 2 };
    const first = tmp.fresh('out');
    await train(first, flags);
    expect(logs).toContain(`generating 2 class images of "a photo at the beach" into ${classes}`);
    const files = readdirSync(classes).sort();
    expect(files).toEqual(['class-0000.png', 'class-0001.png']);
    const stamp = (): string[] => files.map((f) => `${statSync(join(classes, f)).mtimeMs}:${readFileSync(join(classes, f)).toString('base64')}`);
    const before = stamp();

    logs.length = 0;
    const second = tmp.fresh('out');
    await train(second, flags);
    expect(logs.some((l) => l.startsWith('generating'))).toBe(false);
    expect(stamp()).toEqual(before);
    // same seed, same class images: the same run
    expect(metricsText(second)).toBe(metricsText(first));
    expect(existsSync(join(second, 'class_images'))).toBe(false);

    logs.length = 0;
    await train(tmp.fresh('out'), { ...flags, num_class_images: 3 });
    expect(logs).toContain(`generating 1 class images of "a photo at the beach" into ${classes}`);
    expect(readdirSync(classes).sort()).toEqual([...files, 'class-0002.png']);
    expect(files.map((f) => `${statSync(join(classes, f)).mtimeMs}:${readFileSync(join(classes, f)).toString('base64')}`)).toEqual(before);
  });
});

describe('--log_checkpoints', () => {
  it('saves the model, the step\'s attention, a sample and its attention every --img_log_steps phase-2 steps', async () => {
    const out = tmp.fresh('logs');
    await train(out, { phase1_train_steps: 1, phase2_train_steps: 2, log_checkpoints: true, img_log_steps: 2, num_inference_steps: 2 });
    // step 2 is a phase-2 step divisible by 2; step 3 is not
    expect(readdirSync(join(out, 'img_logs')).sort()).toEqual(['00002_full_attn.png', '00002_full_pred.png', '00002_step_attn.png', 'final_step_attn.png']);
    expect(readdirSync(join(out, 'checkpoints'))).toEqual(['00002']);
    const logged = loadModel(join(out, 'checkpoints', '00002'));
    expect(logged.tokenizer.has_token('<asset2>')).toBe(true);
    const pred = readImage(join(out, 'img_logs', '00002_full_pred.png'));
    expect([pred.width, pred.height]).toEqual([8, 8]);
  });
});

describe('a non-finite loss', () => {
  it('stops the run with the step and the loss named, exit 1, and the last good checkpoint kept', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.map(String).join(' ')));
    const out = tmp.fresh('nan');
    // phase 2 at an absurd learning rate: the weights overflow float32 after its first update
    const code = await main(['train', ...trainArgv(model, scene, out, ['--phase1_train_steps', '2', '--phase2_train_steps', '3', '--checkpointing_steps', '2', '--learning_rate', '1e38'])]);
    expect(code).toBe(1);
    expect(errors).toHaveLength(1);
    const m = /^bas train: non-finite (diffusion loss|attention loss|gradient norm) \((NaN|-?Infinity)\) at step (\d+); stopping/.exec(errors[0]!);
    expect(m, errors[0]).not.toBeNull();
    const failed = Number(m![3]);
    expect(failed).toBeGreaterThanOrEqual(3);
    // every step before the failing one is logged and finite; the failing one is not logged
    const lines = readMetrics(out);
    expect(lines.map((l) => l.step)).toEqual(Array.from({ length: failed - 1 }, (_, i) => i + 1));
    expect(lines.every((l) => Number.isFinite(l.loss))).toBe(true);
    const kept = readdirSync(out).filter((n) => n.startsWith('checkpoint-'));
    const last = `checkpoint-${Math.floor((failed - 1) / 2) * 2}`;
    expect(kept).toContain(last);
    expect(errors[0]).toContain(`Last good checkpoint: ${join(out, last)}`);
    expect(existsSync(join(out, last, 'training_state.json'))).toBe(true);
    // no final model
    expect(existsSync(join(out, 'model_index.json'))).toBe(false);
  });
});
