// An attention store that also keeps every step's cross-attention per layer, as DAAM and
// attention-map-diffusers show a sampled image's attention over time rather than only the average
// over steps: after each denoising step, each stored cross-attention layer's map of the first kept
// sample, averaged over heads, as a host copy (res, res, tokens).
import { mean, no_grad, select, tensor, type Tensor } from '../../core/index.js';
import type { PlaceInUnet, StoreKey } from './attention_control.js';
import { AttentionStore, splitHeads } from './attention_store.js';

export interface StepLayerMap {
  /** diffusers' name of the layer (`up_blocks.1.attentions.0.transformer_blocks.0.attn2`). */
  name: string;
  place: PlaceInUnet;
  /** Side of the map's grid. */
  res: number;
  /** (res, res, tokens): the map of the first kept sample, mean over heads. */
  map: Tensor;
}

/** The forward-pass order of the UNet's places. */
const PLACES: readonly PlaceInUnet[] = ['down', 'mid', 'up'];

export class StepAttentionStore extends AttentionStore {
  /** One entry per finished step, in step order: its cross-attention layers, down, mid, then up. */
  readonly steps: StepLayerMap[][] = [];

  override between_steps(): void {
    // the step's maps before the base class folds them into the sum
    const maps = no_grad(() =>
      PLACES.flatMap((place) =>
        this.step_store[`${place}_cross`].map((t) => {
          const res = Math.round(Math.sqrt(t.dim(1)));
          const m = select(mean(splitHeads(t.detach(), this.num_instance_samples, res), 1), 0, 0);
          return { place, res, map: tensor(m.data, { shape: m.shape, dtype: m.dtype }) };
        }),
      ),
    );
    super.between_steps();
    // the layer names are the same at every step: the base class has them once a step has ended
    const seen: Partial<Record<StoreKey, number>> = {};
    this.steps.push(
      maps.map((m) => {
        const key: StoreKey = `${m.place}_cross`;
        const i = seen[key] ?? 0;
        seen[key] = i + 1;
        return { name: this.layer_names[key][i] || `${key}.${i}`, ...m };
      }),
    );
  }

  /** The running sums and every step's maps: a sampling loop's per-step scope must not release them. */
  override held_tensors(): Tensor[] {
    return [...super.held_tensors(), ...this.steps.flatMap((layers) => layers.map((l) => l.map))];
  }

  override reset(): void {
    super.reset();
    this.steps.length = 0;
  }
}
