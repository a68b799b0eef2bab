// `bas train --backend gpujs-*` runs the same training through gpu.js: 5 steps (2 in phase 1, 3 in
// phase 2) agree with `--backend cpu` within float32 tolerances.
//
// Tolerances, against what was measured on the tiny model (x86-64, Node 20, Mesa llvmpipe under
// Xvfb for GL): per-step loss and gradient norm, relative 1e-4 (measured <= 2.1e-7 for
// webasm and headlessgl); final weights, absolute 2e-4 per entry (measured <= 1.4e-5, against
// updates of up to 3e-3 per entry over the run) and the relative L2 difference of the total weight
// update 1e-3 (measured <= 5e-5). The kernels sum in other orders, so bit equality is not expected;
// an AdamW step is ~lr per entry whatever the gradient's size, so the weights are judged against
// the size of the update, not of the weights.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { getBackend, setBackend, type Tensor } from '../../core/index.js';
import { GpuJsBackend, unsupportedReason } from '../../kernels/index.js';
import { BreakASceneTrainer } from '../../bas/train/trainer.js';
import { glAvailable } from '../helpers/environment.js';
import type { TrainConfig } from '../../bas/train/config.js';
import { readMetrics, readWeights, tempRoot, tinyTrainConfig, writeScene, writeTinyModel } from '../helpers/tiny_model.js';
import type { MetricsLine } from '../../bas/train/trainer.js';

const LOSS_RTOL = 1e-4;
const WEIGHT_ATOL = 2e-4;
const UPDATE_RTOL = 1e-3;
const FLAGS: Partial<TrainConfig> = { phase1_train_steps: 2, phase2_train_steps: 3, initial_learning_rate: 1e-2, learning_rate: 1e-3, seed: 4 };

const tmp = tempRoot('bas-train-backend');
let model = '';
let scene = '';
let base: Record<string, Tensor> = {};
let cpu: { metrics: MetricsLine[]; weights: Record<string, Tensor> };

async function run(backend: string): Promise<{ metrics: MetricsLine[]; weights: Record<string, Tensor> }> {
  const out = tmp.fresh(backend);
  const quiet = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await new BreakASceneTrainer(tinyTrainConfig(model, scene, out, { ...FLAGS, backend }), { log: () => undefined }).train();
    // the run really went through the backend asked for
    const b = getBackend();
    expect(b.name).toBe(backend);
    if (backend !== 'cpu') {
      expect(b).toBeInstanceOf(GpuJsBackend);
      expect((b as GpuJsBackend).stats().kernels).toBeGreaterThan(0);
    }
  } finally {
    // the backend is process-wide
    setBackend('cpu');
    quiet.mockRestore();
  }
  return { metrics: readMetrics(out), weights: readWeights(out) };
}

function expectAgreesWithCpu(other: { metrics: MetricsLine[]; weights: Record<string, Tensor> }): void {
  // the same prompts, steps and phases: the data and noise do not depend on the backend
  const layout = (ms: MetricsLine[]): unknown[] => ms.map((m) => [m.step, m.phase, m.concepts.map((c) => c.ids)]);
  expect(layout(other.metrics)).toEqual(layout(cpu.metrics));
  other.metrics.forEach((m, i) => {
    const ref = cpu.metrics[i]!;
    for (const k of ['loss', 'diffusion_loss', 'attn_loss', 'grad_norm'] as const) {
      const rel = Math.abs(m[k]! - ref[k]!) / Math.abs(ref[k]!);
      expect(rel, `step ${m.step} ${k}: ${m[k]} vs cpu ${ref[k]}`).toBeLessThanOrEqual(LOSS_RTOL);
    }
  });
  let maxAbs = 0;
  let diff2 = 0;
  let update2 = 0;
  for (const [k, w] of Object.entries(cpu.weights)) {
    const a = w.data;
    const b = other.weights[k]!.data;
    const o = base[k]?.data;
    expect(b.length, k).toBe(a.length);
    for (let i = 0; i < a.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(a[i]! - b[i]!));
      // the token table grew by the placeholder rows: those start from the base rows' copies, skip them here
      if (o && o.length === a.length) {
        diff2 += (a[i]! - b[i]!) ** 2;
        update2 += (a[i]! - o[i]!) ** 2;
      }
    }
  }
  expect(maxAbs).toBeLessThanOrEqual(WEIGHT_ATOL);
  expect(update2).toBeGreaterThan(0);
  expect(Math.sqrt(diff2 / update2)).toBeLessThanOrEqual(UPDATE_RTOL);
}

beforeAll(async () => {
  model = writeTinyModel(tmp.fresh('model'), 3);
  scene = writeScene(tmp.fresh('scene'));
  base = readWeights(model);
  cpu = await run('cpu');
});
afterAll(() => tmp.cleanup());
afterEach(() => setBackend('cpu'));

describe('bas train through gpu.js agrees with cpu', () => {
  it('gpujs-webasm (runs everywhere)', async () => {
    const reason = unsupportedReason('webasm');
    expect(reason).toBeNull();
    expectAgreesWithCpu(await run('gpujs-webasm'));
  });

  const gl = glAvailable(() => unsupportedReason('headlessgl'));
  it.skipIf(!gl)('gpujs-headlessgl (a real GL context: headless-gl under Xvfb)', async () => {
    expectAgreesWithCpu(await run('gpujs-headlessgl'));
  });
});
