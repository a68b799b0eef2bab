// AttentionStore: keeps the attention maps of the instance samples, summed over steps, with their
// autograd graph intact so the attention loss can flow back into the UNet and the text encoder.
import { add, div, index_select, narrow, reshape, type Tensor } from '../../core/index.js';
import { AttentionControl, type PlaceInUnet, type StoreKey } from './attention_control.js';

export type AttentionMaps = Record<StoreKey, Tensor[]>;

/** Maps with more pixels than this (64x64 and up in SD) are not kept, as in prompt-to-prompt. */
export const MAX_STORED_PIXELS = 32 ** 2;

function emptyLists<T>(): Record<StoreKey, T[]> {
  return { down_cross: [], mid_cross: [], up_cross: [], down_self: [], mid_self: [], up_self: [] };
}

function emptyStore(): AttentionMaps {
  return emptyLists<Tensor>();
}

const emptyNames = emptyLists<string>;

export class AttentionStore extends AttentionControl {
  step_store: AttentionMaps = emptyStore();
  attention_store: AttentionMaps | null = null;
  /** The name of the layer behind each map of step_store, in the same order. */
  private step_layers: Record<StoreKey, string[]> = emptyNames();
  /** The name of the layer behind each map of attention_store (the same at every step). */
  layer_names: Record<StoreKey, string[]> = emptyNames();
  private batchSize = 1;
  private instanceSamples: number[] = [0];
  /**
   * Reproduce the original's selection exactly (`bas train --attention_store_quirk`): keep the
   * second half of the (batch * heads) rows whatever the batch holds, and let aggregate_attention
   * split them into as many samples as there are instance samples, as the original reshapes with
   * train_batch_size. With prior preservation ([class..., instance...]) that is the instance rows,
   * the same maps as without the switch; without it, the supervised map of a batch of 1 averages
   * only the last half of the heads (README, "Known quirks").
   */
  original_quirk = false;

  /**
   * Which samples of the batch are instance samples, and the batch size. The original keeps the
   * second half of the (batch * heads) rows, which is the instance half only with prior
   * preservation; naming the samples makes every layout right (see README, "Known quirks").
   */
  set_instance_samples(indices: readonly number[], batchSize: number): void {
    if (indices.some((i) => !Number.isInteger(i) || i < 0 || i >= batchSize)) {
      throw new RangeError(`instance sample indices ${JSON.stringify(indices)} do not fit a batch of ${batchSize}`);
    }
    this.instanceSamples = [...indices];
    this.batchSize = batchSize;
  }

  get instance_samples(): readonly number[] {
    return this.instanceSamples;
  }

  forward(attn: Tensor, is_cross: boolean, place_in_unet: PlaceInUnet, layer = ''): Tensor {
    const key: StoreKey = `${place_in_unet}_${is_cross ? 'cross' : 'self'}`;
    if (attn.dim(1) <= MAX_STORED_PIXELS) {
      this.step_store[key].push(this.selectInstances(attn));
      this.step_layers[key].push(layer);
    }
    return attn;
  }

  /** Rows b * heads + h of the instance samples b, in the order they were named. */
  private selectInstances(attn: Tensor): Tensor {
    const rows = attn.dim(0);
    if (rows % this.batchSize !== 0) throw new Error(`attention has ${rows} rows, not a multiple of the batch size ${this.batchSize}`);
    const heads = rows / this.batchSize;
    if (this.original_quirk) {
      // the original's attn[h // 2:], h = batch * heads
      const from = Math.floor(rows / 2);
      const kept = rows - from;
      if (kept % this.instanceSamples.length !== 0) {
        throw new Error(`attention store quirk: the second half of ${rows} attention rows (${kept}) does not split into ${this.instanceSamples.length} samples (the original's reshape would fail too)`);
      }
      return narrow(attn, 0, from, kept);
    }
    if (this.instanceSamples.length === this.batchSize) return attn;
    const idx = this.instanceSamples.flatMap((b) => Array.from({ length: heads }, (_, h) => b * heads + h));
    return index_select(attn, 0, idx);
  }

  override between_steps(): void {
    if (this.attention_store === null) {
      this.attention_store = this.step_store;
      this.layer_names = this.step_layers;
    } else {
      for (const key of Object.keys(this.attention_store) as StoreKey[]) {
        const acc = this.attention_store[key];
        const cur = this.step_store[key];
        if (acc.length !== cur.length) throw new Error(`step stored ${cur.length} ${key} maps, earlier steps ${acc.length}`);
        this.attention_store[key] = acc.map((t, i) => add(t, cur[i]!));
      }
    }
    this.step_store = emptyStore();
    this.step_layers = emptyNames();
  }

  /** Every map the store holds (the running sums and the current step's maps), for a sampling
   * loop's per-step scope to hand on (TextToImageOptions.step_state) instead of releasing. */
  held_tensors(): Tensor[] {
    const maps = Object.values(this.step_store).flat();
    if (this.attention_store !== null) maps.push(...Object.values(this.attention_store).flat());
    return maps;
  }

  /** Sum over steps / number of steps, per stored layer. */
  get_average_attention(): AttentionMaps {
    const out = emptyStore();
    if (this.attention_store === null || this.cur_step === 0) return out;
    for (const key of Object.keys(out) as StoreKey[]) out[key] = this.attention_store[key].map((t) => div(t, this.cur_step));
    return out;
  }

  override reset(): void {
    super.reset();
    this.step_store = emptyStore();
    this.step_layers = emptyNames();
    this.attention_store = null;
    this.layer_names = emptyNames();
  }

  /** Number of instance samples each stored map holds (the `batch` of aggregate_attention). */
  get num_instance_samples(): number {
    return this.instanceSamples.length;
  }
}

/** (rows = samples * heads, pixels, tokens) -> (samples, heads, res, res, tokens). */
export function splitHeads(map: Tensor, samples: number, res: number): Tensor {
  return reshape(map, [samples, -1, res, res, map.dim(-1)]);
}
