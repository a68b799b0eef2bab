// What the word probes (word_sensitivity.ts, conditioning_paths.ts, shape_fit.ts) share: their
// PLACEMENT and COLOURS arguments, a rendered scene as the UNet's input, and its noised copies at the probe's timesteps, each with
// fresh noise drawn in order, so two probes with the same generator seed see the same noise.
import { tensor, type DType, type Generator, type Tensor } from '../core/index.js';
import type { DDPMScheduler } from '../diffusion/index.js';
import { COLOUR_NAMES, PLACEMENTS, type ColourName, type Placement } from '../lab/world/index.js';

/** PLACEMENT as the probes take it: anywhere, centre, or centre+J (centred, moved up to J px), as scene options. */
export function probePlacement(arg: string): { placement: Placement; jitter?: number } {
  const [placement, jitterText] = arg.split('+') as [string, string | undefined];
  const jitter = jitterText === undefined ? 0 : Number(jitterText);
  if (!(PLACEMENTS as readonly string[]).includes(placement) || !(jitter >= 0)) throw new Error(`PLACEMENT must be one of ${PLACEMENTS.join(', ')} (centre+J for a jitter of J px), got ${arg}`);
  return jitter > 0 ? { placement: placement as Placement, jitter } : { placement: placement as Placement };
}

/** COLOURS as the probes take it: a comma list of the world's colours, or all (also when absent). */
export function probeColours(arg: string | undefined): { all: boolean; colours: ColourName[] } {
  const all = arg === undefined || arg === 'all';
  const colours = (all ? [...COLOUR_NAMES] : arg.split(',')) as ColourName[];
  const bad = colours.find((c) => !(COLOUR_NAMES as readonly string[]).includes(c));
  if (bad !== undefined) throw new Error(`COLOURS must name colours of ${COLOUR_NAMES.join(', ')}, got ${arg}`);
  return { all, colours };
}

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
