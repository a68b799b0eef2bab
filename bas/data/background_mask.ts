// Background extraction (the original's "background extraction" application): the background is
// one more concept, whose mask is what no given mask covers, so a prompt can reuse it
// ("a photo of <asset0> on <asset3>").
import { maximum, sub, type Tensor } from '../../core/index.js';

/** 1 - max over the masks, per pixel: the complement of their union (soft masks stay soft). */
export function complement_of_union(masks: readonly Tensor[]): Tensor {
  if (masks.length === 0) throw new Error('complement_of_union needs at least one mask');
  const union = masks.slice(1).reduce((u, m) => maximum(u, m), masks[0]!);
  return sub(1, union);
}
