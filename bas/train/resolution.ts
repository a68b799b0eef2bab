// The working resolutions a model can train at: every down block but the last halves the grid and
// the up blocks must meet their skip connections at the same sizes, so the side must be a
// multiple of 2^(down blocks - 1) (4 for `default`, 2 for the tests' tiny model). Any other side
// fails deep inside the UNet, or worse, after the output folder was made; here it is named first.
import { InputError } from '../errors.js';
import type { BasModel } from '../model.js';

/** The multiple every working side must be of: 2 to the number of downsamplers. */
function resolutionMultiple(model: BasModel): number {
  return 2 ** Math.max(0, model.unet.config.down_block_types.length - 1);
}

export function checkResolution(model: BasModel, resolution: number): void {
  const m = resolutionMultiple(model);
  if (Number.isInteger(resolution) && resolution > 0 && resolution % m === 0) return;
  const below = Math.max(m, Math.floor(resolution / m) * m);
  const near = below >= resolution ? [below] : [below, below + m];
  throw new InputError((n) => `${n('resolution')} ${resolution}: the model's UNet takes sides that are multiples of ${m} (e.g. ${near.join(' or ')}; its own is ${model.unet.config.sample_size ?? 32})`);
}
