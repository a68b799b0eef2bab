// aggregate_attention: the average cross-attention map at one resolution, over the layers of the
// named places and all heads, for one instance sample. The result (res, res, tokens) is what the
// attention loss compares against the masks.
import { cat, mean, type Tensor } from '../../core/index.js';
import type { PlaceInUnet, StoreKey } from './attention_control.js';
import { splitHeads, type AttentionStore } from './attention_store.js';

export function aggregate_attention(
  store: AttentionStore,
  res: number,
  from_where: readonly PlaceInUnet[],
  is_cross: boolean,
  select: number,
): Tensor {
  const maps = store.get_average_attention();
  const samples = store.num_instance_samples;
  if (select < 0 || select >= samples) throw new RangeError(`select ${select} is outside the ${samples} stored instance samples`);
  const pixels = res * res;
  const out: Tensor[] = [];
  for (const place of from_where) {
    const key: StoreKey = `${place}_${is_cross ? 'cross' : 'self'}`;
    for (const item of maps[key]) {
      if (item.dim(1) !== pixels) continue;
      // (samples, heads, res, res, tokens)[select] -> (heads, res, res, tokens)
      const perSample = splitHeads(item, samples, res);
      out.push(perSample.narrow(0, select, 1).squeeze(0));
    }
  }
  if (out.length === 0) {
    throw new Error(`no stored ${is_cross ? 'cross' : 'self'}-attention maps at ${res}x${res} in ${from_where.join(', ')} (is the controller registered and did a forward pass run?)`);
  }
  // concatenate layers x heads, then average over them
  return mean(cat(out, 0), 0);
}
