// --gradient_accumulation_steps G: G micro-batches per optimizer step, each loss divided by G
// before its backward (as accelerate does), one clip and one update. An optimizer step draws its
// G x batch examples exactly as one batch of that size would (bas/train/batch.ts), so G = 2 at
// batch 1 must make the same update as G = 1 at batch 2. In float64 the two differ only by the
// order of float64 additions (the batch-2 loss averages both samples in one mean, accumulation adds
// two halves), so they agree to ~1e-14; the test allows 1e-12. Steps, the schedule and checkpoints
// count optimizer steps, and resume stays bit for bit.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { saveModel } from '../../bas/model.js';
import type { TrainConfig } from '../../bas/train/config.js';
import { BreakASceneTrainer, type TrainResult } from '../../bas/train/trainer.js';
import { differingTensors, readMetrics, readWeights, tempRoot, tinyModel, tinyTrainConfig, writeScene, writeTinyModel } from '../helpers/tiny_model.js';

const tmp = tempRoot('bas-accumulation');
let model64 = '';
let model32 = '';
let scene = '';
beforeAll(() => {
  model64 = join(tmp.root, 'model64');
  saveModel(model64, tinyModel(7, 'float64'));
  model32 = writeTinyModel(tmp.fresh('model'), 7);
  scene = writeScene(tmp.fresh('scene'));
});
afterAll(() => tmp.cleanup());
beforeEach(() => void vi.spyOn(console, 'log').mockImplementation(() => undefined));

async function train(model: string, out: string, overrides: Partial<TrainConfig>, stopAfterFirstStep = false): Promise<TrainResult> {
  const trainer: BreakASceneTrainer = new BreakASceneTrainer(tinyTrainConfig(model, scene, out, overrides), {
    log: () => undefined,
    ...(stopAfterFirstStep ? { onStep: () => trainer.requestStop() } : {}),
  });
  return trainer.train();
}

// prior preservation on (the class rows are split with the instance rows), phase 1 and phase 2,
// a warm-up and a decay so the schedule's step count shows, and steps large enough to move
const FLAGS: Partial<TrainConfig> = {
  phase1_train_steps: 2, phase2_train_steps: 2, seed: 5, initial_learning_rate: 1e-2, learning_rate: 1e-3,
  lr_scheduler: 'linear', lr_warmup_steps: 1, no_prior_preservation: false, num_class_images: 3, sample_batch_size: 1, num_inference_steps: 2,
};

function maxAbsDiff(a: Record<string, { data: ArrayLike<number> }>, b: Record<string, { data: ArrayLike<number> }>): number {
  let worst = 0;
  for (const k of Object.keys(a)) {
    const x = a[k]!.data;
    const y = b[k]!.data;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  }
  return worst;
}

describe('gradient accumulation', () => {
  it('G = 2 at batch 1 makes the same updates as G = 1 at batch 2 (float64, to 1e-12), counting optimizer steps', async () => {
    const batch2 = tmp.fresh('b2');
    const accumulated = tmp.fresh('g2');
    await train(model64, batch2, { ...FLAGS, train_batch_size: 2, checkpointing_steps: 1 });
    await train(model64, accumulated, { ...FLAGS, train_batch_size: 1, gradient_accumulation_steps: 2, checkpointing_steps: 1 });

    const [a, b] = [readMetrics(batch2), readMetrics(accumulated)];
    // four optimizer steps, not eight micro-batches; the schedule and the checkpoints count them
    expect(b.map((l) => [l.step, l.phase])).toEqual([[1, 1], [2, 1], [3, 2], [4, 2]]);
    expect(b.map((l) => l.lr)).toEqual(a.map((l) => l.lr));
    expect(readdirSync(accumulated).filter((n) => n.startsWith('checkpoint-')).sort()).toEqual(['checkpoint-1', 'checkpoint-2', 'checkpoint-3']);
    // each optimizer step logs both examples, and the same ones
    expect(b.map((l) => l.concepts.map((c) => c.ids))).toEqual(a.map((l) => l.concepts.map((c) => c.ids)));
    expect(b.every((l) => l.concepts.length === 2)).toBe(true);
    b.forEach((l, i) => {
      for (const k of ['loss', 'diffusion_loss', 'prior_loss', 'attn_loss', 'grad_norm'] as const) expect(Math.abs(l[k]! - a[i]![k]!), `${k} at step ${l.step}`).toBeLessThan(1e-12);
    });
    // phase 2 clips (the gradient norm is above 1), so the clip sees the summed gradient too
    expect(a.some((l) => l.phase === 2 && l.grad_norm > 1)).toBe(true);

    const wa = readWeights(batch2);
    const wb = readWeights(accumulated);
    expect(wa['unet.conv_in.weight']!.dtype).toBe('float64');
    expect(maxAbsDiff(wa, wb)).toBeLessThan(1e-12);
    // the runs moved the weights by far more than that (the UNet's; the token table grew)
    const unet = (w: Record<string, { data: ArrayLike<number> }>): Record<string, { data: ArrayLike<number> }> => Object.fromEntries(Object.entries(w).filter(([k]) => k.startsWith('unet.')));
    expect(maxAbsDiff(unet(wa), unet(readWeights(model64)))).toBeGreaterThan(1e-4);
  });

  it('G = 2 at batch 1 is not G = 1 at batch 1: two examples a step', async () => {
    const one = tmp.fresh('g1');
    const two = tmp.fresh('g2');
    await train(model32, one, { ...FLAGS, phase2_train_steps: 0 });
    await train(model32, two, { ...FLAGS, phase2_train_steps: 0, gradient_accumulation_steps: 2 });
    expect(readMetrics(one).map((l) => l.concepts.length)).toEqual([1, 1]);
    expect(readMetrics(two).map((l) => l.concepts.length)).toEqual([2, 2]);
    expect(differingTensors(readWeights(one), readWeights(two))).toContain('text_encoder.text_model.embeddings.token_embedding.weight');
  });

  it('stopping after every optimizer step and resuming from "latest" equals the uninterrupted run, bit for bit', async () => {
    const flags: Partial<TrainConfig> = { ...FLAGS, gradient_accumulation_steps: 2, checkpointing_steps: 1 };
    const reference = tmp.fresh('ref');
    await train(model32, reference, flags);
    const out = tmp.fresh('chain');
    for (let k = 0; k < 4; k++) {
      const r = await train(model32, out, k === 0 ? flags : { ...flags, resume_from_checkpoint: 'latest' }, true);
      expect(r.steps).toBe(k + 1);
    }
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(reference, 'metrics.jsonl'), 'utf8'));
    expect(differingTensors(readWeights(reference), readWeights(out))).toEqual([]);
  });
});
