// Generation for the page: DDIM with classifier-free guidance through the library's sample(), with
// the page's view of every step: x_t and the predicted clean image x_0 as 8-bit RGB, and each prompt
// token's cross-attention map of that step alone (the store sums over steps; step k's own map is
// k * mean_k - (k - 1) * mean_{k-1}), averaged over the down and up layers at the supervised
// resolution, divided by its max.
import { tidy, type Tensor } from '../../core/index.js';
import { aggregate_attention } from '../../bas/attention/aggregate_attention.js';
import { AttentionStore } from '../../bas/attention/attention_store.js';
import { register_attention_control } from '../../bas/attention/register_attention_control.js';
import { defaultAttnRes, sample, tokenizePrompts, type BasModel } from '../../bas/model.js';
import { labelsFromTokens, normalizedMap } from '../../bas/vis/index.js';
import { to_uint8_images } from '../../diffusion/index.js';
import { tensor } from '../../core/index.js';
import type { GenerateRequest } from '../protocol.js';

export interface GeneratedStep {
  step: number;
  timestep: number;
  size: number;
  image: Uint8Array;
  x0: Uint8Array;
  tokens: string[];
  res: number;
  maps: Float32Array[];
}

const rgbOf = (t: Tensor): Uint8Array => to_uint8_images(t.narrow(0, 0, 1), 'rgb')[0]!.data;

export function generateSteps(model: BasModel, req: GenerateRequest, onStep: (s: GeneratedStep) => void): void {
  if (!(req.steps >= 1 && req.steps <= 1000)) throw new Error(`steps must be 1..1000, got ${req.steps}`);
  const res = defaultAttnRes(model);
  const ids = tokenizePrompts(model, [req.prompt])[0]!;
  const labels = labelsFromTokens(model.tokenizer.convert_ids_to_tokens(ids));
  const store = new AttentionStore();
  const previous = register_attention_control(model.unet, store);
  // the batch is [uncond, cond] with guidance, [cond] without: the maps of the conditional sample
  store.set_instance_samples([req.guidance > 1 ? 1 : 0], req.guidance > 1 ? 2 : 1);
  let before: Float32Array | null = null;
  try {
    sample(model, {
      prompt: req.prompt,
      seed: req.seed,
      num_inference_steps: req.steps,
      guidance_scale: req.guidance,
      step_state: () => store.held_tensors(),
      callback: (info) =>
        tidy(() => {
          const k = store.cur_step;
          const sum = aggregate_attention(store, res, ['up', 'down'], true, 0).mul(k);
          const total = Float32Array.from(sum.data);
          const own = before === null ? total : total.map((v, i) => v - before![i]!);
          before = total;
          const ownMap = tensor(own, { shape: sum.shape });
          onStep({
            step: info.step,
            timestep: info.timestep,
            size: info.latents.dim(-1),
            image: rgbOf(info.latents.clamp(-1, 1)),
            x0: rgbOf((info.pred_original_sample ?? info.latents).clamp(-1, 1)),
            tokens: labels.map((l) => l.text),
            res,
            maps: labels.map((l) => normalizedMap(ownMap, l.index).values),
          });
        }),
    });
  } finally {
    model.unet.set_attn_processor(previous);
  }
}
