// One Break-A-Scene training loss, end to end: noise the images, encode the prompts, run the UNet
// with the attention store recording, then
//   masked diffusion loss (instance half) + prior_loss_weight * MSE (class half)
//   + lambda * attention loss (each concept's map at its token vs its mask).
// Everything the step draws at random (noise, timesteps) comes in, so the loss is a pure function
// of the parameters: that is what `bas gradcheck` checks and what makes resume exact.
import { cat, mse_loss, narrow, no_grad, select, type Tensor } from '../../core/index.js';
import type { CLIPTextModel } from '../../nn/clip/text_model.js';
import type { UNet2DConditionModel } from '../../nn/unet/unet_2d_condition.js';
import { aggregate_attention } from '../attention/aggregate_attention.js';
import type { AttentionStore } from '../attention/attention_store.js';
import { attentionIoU } from '../losses/attention_iou.js';
import { attentionLoss, normalizeByMax, type AttentionLossSample } from '../losses/attention_loss.js';
import { maskedMseLoss, unionMask } from '../losses/masked_loss.js';

export interface NoiseScheduler {
  readonly config: { readonly prediction_type: string };
  add_noise(original: Tensor, noise: Tensor, timesteps: readonly number[]): Tensor;
  get_velocity(sample: Tensor, noise: Tensor, timesteps: readonly number[]): Tensor;
}

export interface InstanceBatch {
  /** (Bi, 3, H, W) in [-1, 1]. */
  images: Tensor;
  /** Per sample, the chosen concepts' masks (1, 1, H, W) in prompt order. */
  masks: Tensor[][];
  /** Per sample, the chosen concept indices in prompt order. */
  concept_ids: number[][];
  /** Per sample, the tokenised prompt (padded). */
  input_ids: number[][];
}

export interface PriorBatch {
  images: Tensor;
  input_ids: number[][];
}

export interface LossOptions {
  lambda_attention: number;
  prior_loss_weight: number;
  apply_masked_loss: boolean;
  /** Token id of each concept's placeholder (<asset0> ...). */
  placeholder_token_ids: readonly number[];
  /** Resolution of the supervised cross-attention maps (16 in the paper's and the default config). */
  attn_res: number;
}

export interface LossInputs {
  unet: UNet2DConditionModel;
  text_encoder: CLIPTextModel;
  store: AttentionStore;
  scheduler: NoiseScheduler;
  instance: InstanceBatch;
  prior: PriorBatch | null;
  /** Noise for the whole batch, [prior..., instance...]. */
  noise: Tensor;
  /** One timestep per batch row, [prior..., instance...]. */
  timesteps: readonly number[];
}

/**
 * The terms of the loss, by the names metrics.jsonl gives them (in this order); null where a run
 * has no such term (no prior preservation, lambda_attention 0). A new term is added here, in
 * LOSS_TERM_LABELS and in breakASceneLoss: the trainer checks, logs and records every term it finds.
 */
export interface LossTerms {
  diffusion_loss: Tensor;
  prior_loss: Tensor | null;
  attn_loss: Tensor | null;
}

/** How messages name each term (a non-finite term stops the run by this name). */
export const LOSS_TERM_LABELS: { readonly [K in keyof LossTerms]: string } = {
  diffusion_loss: 'diffusion loss',
  prior_loss: 'prior loss',
  attn_loss: 'attention loss',
};

/** The terms as numbers, a metrics line's share. */
export type LossTermValues = { [K in keyof LossTerms]: LossTerms[K] extends Tensor ? number : number | null };

/** Each term's value, in the order of LossTerms. */
export function lossTermValues(terms: LossTerms): LossTermValues {
  return Object.fromEntries(Object.entries(terms).map(([k, t]: [string, Tensor | null]) => [k, t === null ? null : t.item()])) as LossTermValues;
}

/** Each term's mean over micro-batches (gradient accumulation); null where the term is. */
export function meanTermValues(list: readonly LossTermValues[]): LossTermValues {
  const keys = Object.keys(list[0]!) as (keyof LossTermValues)[];
  return Object.fromEntries(keys.map((k) => [k, list[0]![k] === null ? null : list.reduce((s, t) => s + t[k]!, 0) / list.length])) as LossTermValues;
}

export interface LossResult {
  /** The sum that is differentiated: diffusion + prior_loss_weight * prior + attention. */
  loss: Tensor;
  terms: LossTerms;
  /** Per instance sample and chosen concept: attention IoU at attn_res (map >= max/2 vs mask >= 1/2). */
  iou: number[][];
  /** Per instance sample: the aggregated cross-attention (res, res, tokens), detached. */
  attention: Tensor[];
}

/** Position of `tokenId` in `ids`; a prompt without it is a caller bug, reported as such. */
export function tokenPosition(ids: readonly number[], tokenId: number): number {
  const p = ids.indexOf(tokenId);
  if (p < 0) throw new Error(`placeholder token id ${tokenId} is not in the prompt ids [${ids.join(', ')}] (truncated prompt?)`);
  return p;
}

export function breakASceneLoss(inp: LossInputs, opt: LossOptions): LossResult {
  const { unet, text_encoder, store, scheduler, instance, prior } = inp;
  const nPrior = prior ? prior.images.dim(0) : 0;
  const nInst = instance.images.dim(0);
  const batch = nPrior + nInst;

  const x0 = prior ? cat([prior.images, instance.images], 0) : instance.images;
  const noisy = scheduler.add_noise(x0, inp.noise, inp.timesteps);
  const ids = prior ? [...prior.input_ids, ...instance.input_ids] : instance.input_ids;
  const context = text_encoder.forward(ids).last_hidden_state;

  store.reset();
  store.set_instance_samples(Array.from({ length: nInst }, (_, i) => nPrior + i), batch);
  const pred = unet.forward(noisy, [...inp.timesteps], context).sample;
  const target = scheduler.config.prediction_type === 'v_prediction' ? scheduler.get_velocity(x0, inp.noise, inp.timesteps) : inp.noise;

  // [prior..., instance...]: split the halves, as the original's chunk(2)
  const predInst = narrow(pred, 0, nPrior, nInst);
  const targetInst = narrow(target, 0, nPrior, nInst);
  let diffusion_loss: Tensor;
  if (opt.apply_masked_loss) {
    const res = pred.dim(-1);
    const mask = cat(instance.masks.map((m) => unionMask(m, res)), 0);
    diffusion_loss = maskedMseLoss(predInst, targetInst, mask);
  } else {
    diffusion_loss = mse_loss(predInst, targetInst);
  }
  let loss = diffusion_loss;
  let prior_loss: Tensor | null = null;
  if (prior) {
    prior_loss = mse_loss(narrow(pred, 0, 0, nPrior), narrow(target, 0, 0, nPrior));
    loss = loss.add(prior_loss.mul(opt.prior_loss_weight));
  }

  const samples: AttentionLossSample[] = [];
  for (let b = 0; b < nInst; b++) {
    const aggregated = aggregate_attention(store, opt.attn_res, ['up', 'down'], true, b);
    const tokenIndices = instance.concept_ids[b]!.map((c) => tokenPosition(instance.input_ids[b]!, opt.placeholder_token_ids[c]!));
    samples.push({ aggregated, tokenIndices, masks: instance.masks[b]! });
  }
  let attn_loss: Tensor | null = null;
  if (opt.lambda_attention !== 0) {
    attn_loss = attentionLoss(samples, opt.lambda_attention);
    loss = loss.add(attn_loss);
  }
  const iou = no_grad(() => samples.map((s) => s.tokenIndices.map((t, i) => attentionIoU(normalizeByMax(select(s.aggregated, -1, t)), s.masks[i]!))));
  const attention = samples.map((s) => s.aggregated.detach());
  return { loss, terms: { diffusion_loss, prior_loss, attn_loss }, iou, attention };
}
