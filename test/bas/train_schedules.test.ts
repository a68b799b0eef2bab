// The trainer's learning-rate schedules as diffusers' training scripts pass them: num_cycles to
// cosine_with_restarts only, power to polynomial only, over the run's total steps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lr_factor } from '../../nn/optim/lr_schedule.js';
import { BreakASceneTrainer } from '../../bas/train/trainer.js';
import { readMetrics, tempRoot, tinyTrainConfig, writeScene, writeTinyModel } from '../helpers/tiny_model.js';

const tmp = tempRoot('bas-schedules');
let model = '';
let scene = '';
beforeAll(() => {
  model = writeTinyModel(tmp.fresh('model'), 5);
  scene = writeScene(tmp.fresh('scene'));
});
afterAll(() => tmp.cleanup());

/** The lr of each metrics line, logged after the scheduler's step as diffusers' scripts log it (factor of step + 1). */
async function lrs(overrides: Parameters<typeof tinyTrainConfig>[3]): Promise<number[]> {
  const out = tmp.fresh('out');
  await new BreakASceneTrainer(tinyTrainConfig(model, scene, out, { phase1_train_steps: 6, phase2_train_steps: 0, initial_learning_rate: 1e-2, ...overrides }), { log: () => undefined }).train();
  return readMetrics(out).map((l) => l.lr);
}

describe('training lr schedules', () => {
  it('polynomial with --lr_power and cosine_with_restarts with --lr_num_cycles follow their factors', async () => {
    const poly = await lrs({ lr_scheduler: 'polynomial', lr_power: 2 });
    const expectedPoly = poly.map((_, s) => 1e-2 * lr_factor('polynomial', s + 1, { num_warmup_steps: 0, num_training_steps: 6, power: 2, lr_init: 1e-2 }));
    poly.forEach((v, i) => expect(v).toBeCloseTo(expectedPoly[i]!, 12));
    // a power of 2 falls faster than the straight line
    expect(poly[0]!).toBeLessThan(1e-2 * (5 / 6));

    const restarts = await lrs({ lr_scheduler: 'cosine_with_restarts', lr_num_cycles: 2 });
    const expectedRestarts = restarts.map((_, s) => 1e-2 * lr_factor('cosine_with_restarts', s + 1, { num_warmup_steps: 0, num_training_steps: 6, num_cycles: 2 }));
    restarts.forEach((v, i) => expect(v).toBeCloseTo(expectedRestarts[i]!, 12));
    // the restart at step 3 of 6 (logged on line 2)
    expect(restarts[2]).toBeCloseTo(1e-2, 12);
    expect(restarts[1]!).toBeLessThan(restarts[2]!);
  });
});
