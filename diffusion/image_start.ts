// Sampling that starts from an image instead of pure noise: diffusers' img2img `strength` (which
// timesteps are kept) and the mask of blended editing, checked against the batch they apply to.
import { broadcast_to, sub, type Tensor } from '../core/index.js';
import type { SchedulerLike } from './pipeline_text_to_image.js';

export interface ImageStart {
  /** Index of the first timestep run: the schedule's first int(n * (1 - strength)) are skipped. */
  t_start: number;
  /** The image broadcast to the batch, (N, C, H, W). */
  image: Tensor;
  /** The image noised with `noise` to timestep t. */
  add_noise(noise: Tensor, t: number): Tensor;
  /** Blended editing: where the prompt draws and its complement, (N, C, H, W); null without a mask. */
  blend: { mask: Tensor; keep: Tensor } | null;
}

/**
 * diffusers' get_timesteps: init = min(floor(n * strength), n) steps are run, from index n - init;
 * a strength that keeps no step is an error, as there.
 */
export function startFrom(image: Tensor, strength: number, mask: Tensor | undefined, scheduler: SchedulerLike, shape: readonly number[]): ImageStart {
  if (!(strength > 0 && strength <= 1)) throw new Error(`strength must be in (0, 1], got ${strength}`);
  const add_noise = scheduler.add_noise?.bind(scheduler);
  if (!add_noise) throw new Error('starting from an image needs a scheduler with add_noise (DDIM or DDPM)');
  const n = scheduler.timesteps.length;
  const init = Math.min(Math.floor(n * strength), n);
  if (init < 1) throw new Error(`strength ${strength} with ${n} inference steps runs no step; raise either`);
  const [N, C, H, W] = shape as [number, number, number, number];
  const img = fitBatch(image, [N, C, H, W], 'image');
  const m = mask ? fitBatch(mask, [N, 1, H, W], 'mask_image') : null;
  return {
    t_start: n - init,
    image: img,
    add_noise: (noise, t) => add_noise(img, noise, t),
    blend: m ? { mask: broadcast_to(m, [N, C, H, W]), keep: sub(1, broadcast_to(m, [N, C, H, W])) } : null,
  };
}

/** A (1 or N, c, H, W) tensor repeated to the batch; any other shape is an error naming `what`. */
function fitBatch(x: Tensor, shape: [number, number, number, number], what: string): Tensor {
  const [N, c, H, W] = shape;
  const ok = x.shape.length === 4 && (x.shape[0] === 1 || x.shape[0] === N) && x.shape[1] === c && x.shape[2] === H && x.shape[3] === W;
  if (!ok) throw new Error(`${what} of shape [${x.shape.join(', ')}], expected [1 or ${N}, ${c}, ${H}, ${W}]`);
  return x.shape[0] === N ? x : broadcast_to(x, shape);
}
