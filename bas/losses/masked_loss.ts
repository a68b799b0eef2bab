// The masked diffusion loss: the prediction and the target are both multiplied by the union of the
// chosen concepts' masks before the MSE, so only the concepts' pixels are reconstructed. As in
// the original, the mean runs over all elements (masked-out positions count as zeros).
import { amax, cat, interpolate, mse_loss, mul, type Tensor } from '../../core/index.js';

/** Elementwise max over the masks (each (1, H, W) or (1, 1, H, W)), resized nearest to (res, res): (1, 1, res, res). */
export function unionMask(masks: readonly Tensor[], res: number): Tensor {
  if (masks.length === 0) throw new Error('unionMask: no masks');
  const [h, w] = [masks[0]!.dim(-2), masks[0]!.dim(-1)];
  const stacked = cat(masks.map((m) => m.reshape([1, 1, h, w])), 1);
  return interpolate(amax(stacked, 1, true), { size: [res, res] });
}

/** MSE(pred * mask, target * mask) with mask (N or 1, 1, H, W) broadcast over channels. */
export function maskedMseLoss(pred: Tensor, target: Tensor, mask: Tensor): Tensor {
  const m = mask.to(pred.dtype);
  return mse_loss(mul(pred, m), mul(target, m));
}
