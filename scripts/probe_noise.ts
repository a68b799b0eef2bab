// What the word probes (word_sensitivity.ts, conditioning_paths.ts) share: a rendered scene as the
// UNet's input, and its noised copies at the probe's timesteps, each with fresh noise drawn in order,
// so two probes with the same generator seed see the same noise.
import { tensor, type DType, type Generator, type Tensor } from '../core/index.js';
import type { DDPMScheduler } from '../diffusion/index.js';

/** RGB bytes (res x res, interleaved) as (1, 3, res, res) in [-1, 1]. */
export function sceneTensor(rgb: Uint8Array, res: number, dtype: DType): Tensor {
  const px = new Float32Array(3 * res * res);
  for (let p = 0; p < res * res; p++) for (let c = 0; c < 3; c++) px[c * res * res + p] = rgb[p * 3 + c]! / 127.5 - 1;
  return tensor(px, { shape: [1, 3, res, res], dtype });
}

/** x0 noised at each timestep in turn: the timestep, the noise drawn for it and the noisy sample. */
export function* noisedAt(x0: Tensor, timesteps: readonly number[], scheduler: DDPMScheduler, gen: Generator): IterableIterator<{ t: number; noise: Tensor; noisy: Tensor }> {
  for (const t of timesteps) {
    const noise = gen.randn(x0.shape, { dtype: x0.dtype });
    yield { t, noise, noisy: scheduler.add_noise(x0, noise, [t]) };
  }
}
