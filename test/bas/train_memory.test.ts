// A training run on a gpu.js backend releases what each step makes: the trainer runs every step in
// tidy() and assign_ keeps the updated parameters while releasing the values they replace, so the
// count of storages never disposed (`undisposed`, which does not depend on when the garbage
// collector runs) and, on GL, the textures, bytes and context textures not released by dispose()
// (held now plus reclaimed by the collector: the collector's timing cancels) stay exactly flat.
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { getBackend, setBackend } from '../../core/index.js';
import { GpuJsBackend, unsupportedReason, type DeviceStats } from '../../kernels/index.js';
import { BreakASceneTrainer } from '../../bas/train/trainer.js';
import { glAvailable } from '../helpers/environment.js';
import type { TrainConfig } from '../../bas/train/config.js';
import { tempRoot, tinyTrainConfig, writeScene, writeTinyModel } from '../helpers/tiny_model.js';

const tmp = tempRoot('bas-train-memory');
afterAll(() => tmp.cleanup());
afterEach(() => setBackend('cpu'));

/** Device stats after every step of a 2 + 6 step run (prior preservation off: no class images). */
async function statsPerStep(backend: string): Promise<DeviceStats[]> {
  const model = writeTinyModel(tmp.fresh(`model-${backend}`), 3);
  const scene = writeScene(tmp.fresh(`scene-${backend}`));
  const flags: Partial<TrainConfig> = { phase1_train_steps: 2, phase2_train_steps: 6, seed: 1, backend };
  const stats: DeviceStats[] = [];
  const quiet = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const trainer = new BreakASceneTrainer(tinyTrainConfig(model, scene, tmp.fresh(`out-${backend}`), flags), {
      log: () => undefined,
      onStep: () => stats.push((getBackend() as GpuJsBackend).stats()),
    });
    await trainer.train();
    expect(getBackend()).toBeInstanceOf(GpuJsBackend);
  } finally {
    quiet.mockRestore();
  }
  return stats;
}

function expectFlat(stats: DeviceStats[]): void {
  expect(stats).toHaveLength(8);
  // steps 1-3 may still grow (first use of each kernel, the phase-2 optimizer's first update);
  // from step 4 on, every step must leave exactly what the one before left
  const at = (s: DeviceStats): unknown => ({
    undisposed: s.undisposed,
    textures: s.textures + s.finalized.textures,
    bytes: s.bytes + s.finalized.bytes,
    glTextures: s.glTextures + s.finalized.glTextures,
  });
  for (let i = 4; i < 8; i++) expect(at(stats[i]!), `after step ${i + 1} vs step 4`).toEqual(at(stats[3]!));
  // the run really made (and released) device work
  expect(stats[7]!.kernels).toBeGreaterThan(0);
}

describe('bas train: no memory growth across steps', () => {
  it('gpujs-webasm', async () => {
    expect(unsupportedReason('webasm')).toBeNull();
    expectFlat(await statsPerStep('gpujs-webasm'));
  });

  const gl = glAvailable(() => unsupportedReason('headlessgl'));
  it.skipIf(!gl)('gpujs-headlessgl (textures under Xvfb)', async () => {
    const stats = await statsPerStep('gpujs-headlessgl');
    expectFlat(stats);
    expect(stats[7]!.textures).toBeGreaterThan(0);
  });
});
