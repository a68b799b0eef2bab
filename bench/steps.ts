// The whole-step rows of the bench: what pretraining, Break-A-Scene training and sampling cost per
// step, each built from the public API on the active backend. A case that cannot run here (the
// shipped model missing, say) returns the reason instead of failing the bench.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '../core/index.js';
import * as nn from '../nn/index.js';

export interface StepBench {
  /** op and shape columns of the table */
  op: string;
  shape: string;
  /** one step, timed by the bench; or `measure`, for a loop that times its own steps */
  run?: () => void;
  measure?: () => Promise<number>;
  /** 0 when a flop count means nothing for the case (sampling) */
  flops: number;
}

export type StepCase = 'unet-b2' | 'unet-b16' | 'ddim-4x25' | 'train-step';
export const STEP_CASES: readonly StepCase[] = ['unet-b2', 'unet-b16', 'train-step', 'ddim-4x25'];

/** A seeded `default` UNet and random inputs at `batch` (24 text tokens), for the step benches. */
export function unetInputs(batch: number): { config: ReturnType<typeof nn.unetConfig>; model: nn.UNet2DConditionModel; sample: core.Tensor; ctx: core.Tensor; timesteps: number[] } {
  const config = nn.unetConfig('default');
  const model = new nn.UNet2DConditionModel(config, { dtype: 'float32' });
  const gen = new core.Generator().manual_seed(0);
  const sample = gen.randn([batch, 3, 32, 32], { dtype: 'float32' });
  const ctx = gen.randn([batch, 24, 64], { dtype: 'float32' });
  const timesteps = Array.from({ length: batch }, (_, i) => (10 + 61 * i) % 1000);
  return { config, model, sample, ctx, timesteps };
}

/** One forward + backward of the `default` UNet on random inputs (24 text tokens): at batch 16 the
 * bulk of a pretraining step (the profile, `npm run profile`, has the rest). */
function unetStep(batch: number): StepBench {
  const { config, model, sample, ctx, timesteps } = unetInputs(batch);
  return {
    op: 'unet',
    shape: `default ${batch}x3x32x32, 24 tokens, fwd+bwd`,
    flops: nn.unetFlops(config, batch, { seq_len: 24 }).forward_backward,
    run: () => {
      model.zero_grad();
      const out = model.forward(sample, timesteps, ctx).sample;
      core.mean(core.mul(out, out)).backward();
    },
  };
}

/** DDIM sampling of 4 images in 25 steps with guidance (one UNet call of batch 8 per step) from
 * the shipped base model. */
async function ddim(): Promise<StepBench> {
  const { loadModel, sample } = await import('../bas/model.js');
  const m = loadModel(join(dirname(fileURLToPath(import.meta.url)), '..', 'models', 'base'));
  return {
    op: 'sample',
    shape: 'DDIM 25 steps, 4 images, guidance 7.5',
    flops: 0,
    run: () => {
      sample(m, { prompt: 'a photo of a red star', num_images: 4, seed: 0, num_inference_steps: 25, guidance_scale: 7.5 });
    },
  };
}

export async function stepRunner(name: StepCase): Promise<StepBench | string> {
  try {
    if (name === 'unet-b2') return unetStep(2);
    if (name === 'unet-b16') return unetStep(16);
    if (name === 'ddim-4x25') return await ddim();
    const { trainStep } = await import('./train_step.js');
    return trainStep();
  } catch (e) {
    return `${name} row skipped: ${(e as Error).message.split('\n')[0]}`;
  }
}
