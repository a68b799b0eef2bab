// The attention view's data: the model under training is run once (no gradient) on the training
// image noised to a chosen timestep, with the full prompt naming every concept, through its own
// AttentionStore; then every stored cross-attention layer (down, mid, up, each at its resolution)
// and the loss's average at each resolution are cut down to the placeholder tokens' columns. This
// is what the P2P store holds during a training step, shown for the whole prompt at one noise level
// (the same measurement as `bas eval`'s attention IoU, lab/eval/break_a_scene.ts).
import { Generator, mean, no_grad, tensor, tidy, type Tensor } from '../../core/index.js';
import { aggregate_attention } from '../../bas/attention/aggregate_attention.js';
import type { PlaceInUnet } from '../../bas/attention/attention_control.js';
import { AttentionStore } from '../../bas/attention/attention_store.js';
import { register_attention_control } from '../../bas/attention/register_attention_control.js';
import { instancePrompt } from '../../bas/data/union_sampling.js';
import { attentionIoU } from '../../bas/losses/attention_iou.js';
import { defaultAttnRes, encodePrompts, tokenizePrompts, trainingScheduler, type BasModel } from '../../bas/model.js';
import type { AttentionLayer } from '../protocol.js';

/** The probe's noise is fixed, so successive steps are seen through the same noisy image. */
const PROBE_NOISE_SEED = 0;

const PLACES: readonly PlaceInUnet[] = ['down', 'mid', 'up'];

/** `values` (res*res) divided by their max; an all-zero map stays zero. */
function byMax(values: Float32Array): Float32Array {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max > 0 ? values.map((v) => v / max) : values;
}

/** Column `pos` of a (pixels, tokens) row-major buffer. */
function column(data: ArrayLike<number>, pixels: number, tokens: number, pos: number): Float32Array {
  const out = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) out[p] = data[p * tokens + pos]!;
  return out;
}

function layer(label: string, res: number, perPixel: Tensor, positions: readonly number[], masks: readonly Tensor[]): AttentionLayer {
  const tokens = perPixel.dim(-1);
  const data = perPixel.data;
  const maps = positions.map((pos) => byMax(column(data, res * res, tokens, pos)));
  const iou = maps.map((m, i) => attentionIoU(tensor(m, { shape: [res, res] }), masks[i]!));
  return { label, res, maps, iou };
}

export interface ProbeInput {
  model: BasModel;
  tokens: readonly string[];
  /** (1, 3, R, R) in [-1, 1] at the model's resolution, and one (1, 1, R, R) mask per token. */
  image: Tensor;
  masks: readonly Tensor[];
  timestep: number;
}

/** First the loss's map (up + down averaged at the supervised resolution), then the other resolutions' averages, then each layer. */
export function probeAttention(p: ProbeInput): AttentionLayer[] {
  const { model, tokens, image, masks, timestep } = p;
  const prompt = instancePrompt(tokens);
  const ids = tokenizePrompts(model, [prompt])[0]!;
  const positions = model.tokenizer.convert_tokens_to_ids([...tokens]).map((id) => ids.indexOf(id));
  const store = new AttentionStore();
  const previous = register_attention_control(model.unet, store);
  try {
    return tidy(() =>
      no_grad(() => {
        const noise = new Generator(PROBE_NOISE_SEED).randn(image.shape, { dtype: image.dtype });
        const noisy = trainingScheduler(model).add_noise(image, noise, [timestep]);
        model.unet.forward(noisy, [timestep], encodePrompts(model, [prompt]));
        const supervised = defaultAttnRes(model);
        const maps = store.get_average_attention();
        const layers: AttentionLayer[] = [];
        const sizes = [...new Set(['down_cross', 'up_cross'].flatMap((k) => maps[k as 'down_cross'].map((m) => Math.round(Math.sqrt(m.dim(1))))))];
        sizes.sort((a, b) => (a === supervised ? -1 : b === supervised ? 1 : b - a));
        for (const res of sizes) {
          const agg = aggregate_attention(store, res, ['up', 'down'], true, 0);
          const what = res === supervised ? 'the loss: ' : '';
          layers.push(layer(`${what}down + up average, ${res}x${res}`, res, agg, positions, masks));
        }
        for (const place of PLACES) {
          const list = maps[`${place}_cross`];
          list.forEach((m, i) => {
            const res = Math.round(Math.sqrt(m.dim(1)));
            const perPixel = mean(m, 0); // over heads: (pixels, tokens)
            layers.push(layer(`${place} layer ${i} (${res}x${res})`, res, perPixel, positions, masks));
          });
        }
        return layers;
      }),
    );
  } finally {
    model.unet.set_attn_processor(previous);
  }
}
