// The cross-attention loss of Break-A-Scene: for every concept in the prompt, the averaged
// cross-attention map at its placeholder token, divided by its max, should equal the concept's
// mask resized (nearest) to the map's resolution.
import { amax, div, interpolate, maximum, mse_loss, mul, reshape, select, type Tensor } from '../../core/index.js';

/** The mask (H, W), (1, H, W) or (1, 1, H, W) resized nearest to (res, res). */
export function maskAtResolution(mask: Tensor, res: number): Tensor {
  const h = mask.dim(-2);
  const w = mask.dim(-1);
  if (mask.size !== h * w) throw new Error(`mask must hold one channel, got shape [${mask.shape.join(', ')}]`);
  return reshape(interpolate(reshape(mask, [1, 1, h, w]), { size: [res, res] }), [res, res]);
}

/** A map divided by its max. The original divides by 0 for an all-zero map; we floor the max. */
export function normalizeByMax(map: Tensor): Tensor {
  return div(map, maximum(amax(map), 1e-12));
}

/** MSE between one concept's max-normalised map (agg[..., tokenIndex]) and its resized mask. */
export function conceptAttentionLoss(aggregated: Tensor, tokenIndex: number, mask: Tensor): Tensor {
  const res = aggregated.dim(0);
  const map = normalizeByMax(select(aggregated, -1, tokenIndex));
  return mse_loss(maskAtResolution(mask, res).to(map.dtype), map);
}

export interface AttentionLossSample {
  /** aggregate_attention(...) for this instance sample: (res, res, tokens). */
  aggregated: Tensor;
  /** Position of each chosen concept's placeholder token in this sample's prompt ids. */
  tokenIndices: readonly number[];
  /** The chosen concepts' masks, in the same order. */
  masks: readonly Tensor[];
}

/** lambda * (sum over samples and concepts of the per-concept MSE) / batch size. */
export function attentionLoss(samples: readonly AttentionLossSample[], lambda: number): Tensor {
  if (samples.length === 0) throw new Error('attentionLoss: no samples');
  let total: Tensor | null = null;
  for (const s of samples) {
    if (s.tokenIndices.length !== s.masks.length) throw new Error(`attentionLoss: ${s.tokenIndices.length} token positions for ${s.masks.length} masks`);
    s.tokenIndices.forEach((idx, i) => {
      const l = conceptAttentionLoss(s.aggregated, idx, s.masks[i]!);
      total = total === null ? l : total.add(l);
    });
  }
  if (total === null) throw new Error('attentionLoss: no concepts in any sample');
  return mul(total, lambda / samples.length);
}
