// Attention IoU, the alignment number the trainer logs per concept: the map thresholded at half its
// max against the mask thresholded at one half, both at the map's resolution.
import { no_grad, type Tensor } from '../../core/index.js';
import { maskAtResolution } from './attention_loss.js';

export function attentionIoU(map: Tensor, mask: Tensor): number {
  return no_grad(() => {
    const res = map.dim(0);
    const m = map.data;
    const g = maskAtResolution(mask, res).data;
    let mx = -Infinity;
    for (let i = 0; i < m.length; i++) mx = Math.max(mx, m[i]!);
    let inter = 0;
    let union = 0;
    for (let i = 0; i < m.length; i++) {
      const a = m[i]! >= 0.5 * mx;
      const b = g[i]! >= 0.5;
      if (a && b) inter++;
      if (a || b) union++;
    }
    return union === 0 ? 1 : inter / union;
  });
}
