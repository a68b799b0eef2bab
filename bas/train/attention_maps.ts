// Per-layer cross-attention of a training step, as DAAM and attention-map-diffusers show it rather
// than only the aggregate the loss supervises: for each instance sample of the step and each
// cross-attention layer the store kept (named as diffusers names the layer,
// `up_blocks.1.attentions.0.transformer_blocks.0.attn2`), the map averaged over heads, with the
// step's timestep and the position of each placeholder token in the prompt. Host copies, so the
// record outlives the step's tidy scope; run_outputs.ts writes it.
import { mean, no_grad, tensor, type Tensor } from '../../core/index.js';
import type { PlaceInUnet, StoreKey } from '../attention/attention_control.js';
import { splitHeads, type AttentionStore } from '../attention/attention_store.js';
import { tokenPosition } from './loss.js';

export interface LayerMap {
  /** diffusers' name of the layer, without `.processor`. */
  name: string;
  place: PlaceInUnet;
  /** Side of the map's grid. */
  res: number;
  /** (samples, res, res, tokens): each instance sample's map, the mean over heads. */
  maps: Tensor;
}

export interface SampleInfo {
  prompt: string;
  /** The diffusion timestep the sample was noised to. */
  timestep: number;
  /** The placeholder tokens in the prompt, in prompt order, and their positions in its ids. */
  tokens: { token: string; position: number }[];
}

export interface LayerMapsRecord {
  samples: SampleInfo[];
  layers: LayerMap[];
}

/** The forward-pass order of the UNet's places. */
const PLACES: readonly PlaceInUnet[] = ['down', 'mid', 'up'];

/** Every stored cross-attention layer's maps, down, mid, then up, in call order. */
export function crossAttentionLayers(store: AttentionStore): LayerMap[] {
  return no_grad(() => {
    const avg = store.get_average_attention();
    const samples = store.num_instance_samples;
    return PLACES.flatMap((place) => {
      const key: StoreKey = `${place}_cross`;
      return avg[key].map((t, i) => {
        const res = Math.round(Math.sqrt(t.dim(1)));
        const m = mean(splitHeads(t.detach(), samples, res), 1);
        return { name: store.layer_names[key][i] ?? `${key}.${i}`, place, res, maps: tensor(m.data, { shape: m.shape, dtype: m.dtype }) };
      });
    });
  });
}

/** The record of one step's instance samples (prompt ids, chosen concepts, timesteps) from the store that saw them. */
export function recordLayerMaps(
  store: AttentionStore,
  instance: { prompts: readonly string[]; input_ids: readonly number[][]; concept_ids: readonly number[][]; timesteps: readonly number[] },
  placeholders: { tokens: readonly string[]; ids: readonly number[] },
): LayerMapsRecord {
  const samples = instance.prompts.map((prompt, b) => ({
    prompt,
    timestep: instance.timesteps[b]!,
    tokens: instance.concept_ids[b]!.map((c) => ({ token: placeholders.tokens[c]!, position: tokenPosition(instance.input_ids[b]!, placeholders.ids[c]!) })),
  }));
  return { samples, layers: crossAttentionLayers(store) };
}
