// Measurements (b) and (c) of `bas eval`: Break-A-Scene on generated scenes of 2-4 objects, for
// the full method and the paper's ablations, all on the same scenes and seeds.
//   attention IoU: per concept, the final model's averaged cross-attention at its token (full
//     prompt, the training image noised at fixed timesteps) vs its mask, as the trainer logs it;
//   identity: "a photo of <assetI>" shows concept I's colour and shape;
//   identity, colour only: ... shows I's colour (separates a token that lost its concept from a
//     base model that cannot draw the shape);
//   disentanglement: ... and no other concept's colour;
//   pairs: "a photo of <assetI> and <assetJ>" shows both.
import { Generator, no_grad, select } from '../../core/index.js';
import { aggregate_attention } from '../../bas/attention/aggregate_attention.js';
import { AttentionStore } from '../../bas/attention/attention_store.js';
import { register_attention_control } from '../../bas/attention/register_attention_control.js';
import { instancePrompt } from '../../bas/data/union_sampling.js';
import { loadInstanceFolder } from '../../bas/io/instance.js';
import { attentionIoU } from '../../bas/losses/attention_iou.js';
import { normalizeByMax } from '../../bas/losses/attention_loss.js';
import { defaultAttnRes, encodePrompts, loadModel, sample, samplingOf, trainingScheduler, type BasModel, type SamplingOptions } from '../../bas/model.js';
import { trainConfig, type TrainConfig } from '../../bas/train/config.js';
import { BreakASceneTrainer } from '../../bas/train/trainer.js';
import { files } from '../../platform/platform.js';
import { sampleScene, writeSceneFolder, type Detection, type Scene } from '../world/index.js';
import { detectBatch, hasColour, hasConcept, mean, type Concept } from './judge.js';
import type { MaskNoise } from './mask_noise.js';
import { writePerturbedSceneFolder } from './mask_noise_folder.js';

/** The full method and the paper's ablations, as training-config overrides. */
export const VARIANTS: Record<string, Readonly<Partial<TrainConfig>>> = {
  full: {},
  'lambda_attention 0': { lambda_attention: 0 },
  'no masked loss': { do_not_apply_masked_loss: true },
  'no union sampling': { no_union_sampling: true },
  'phase 2 only': { phase1_train_steps: 0 },
};

export interface BasEvalOptions extends SamplingOptions {
  scenes: number;
  seed: number;
  phase1_train_steps: number;
  phase2_train_steps: number;
  /** Training-config overrides for every run (learning rates, prior preservation, ...); a variant's win over them. */
  train_overrides: Readonly<Partial<TrainConfig>>;
  /**
   * Prior preservation, unless train_overrides has no_prior_preservation: the base model's samples of
   * this prompt, drawn once per eval (in work_dir/class_images) and shared by every run.
   */
  class_prompt: string;
  num_class_images: number;
  variants: readonly string[];
  /**
   * Mask robustness: one more run of the full method per entry, trained on the scene's masks so
   * perturbed (IoU still measured against the true masks).
   */
  mask_noise?: readonly MaskNoise[];
  /** Dilation / erosion radius of mask_noise, in pixels at the scene's resolution. */
  mask_noise_pixels?: number;
  /** Images per prompt. */
  seeds: number;
  /** Sampling of the judged samples (rescale and eta off when absent); the prior's class images take its steps, guidance and eta. */
  num_inference_steps: number;
  guidance_scale: number;
  base_model?: string | undefined;
  work_dir: string;
}

export interface VariantResult {
  variant: string;
  /** Set on a mask-robustness run: the perturbation of its training masks. */
  mask_noise?: MaskNoise;
  /** Mean IoU of the perturbed training masks with the true ones (1 for exact masks). */
  training_mask_iou?: number;
  attention_iou: number;
  identity: number;
  identity_colour: number;
  disentanglement: number;
  pairs_both: number;
  per_scene: { scene: string; training_mask_iou?: number[]; iou: number[]; identity: number[]; identity_colour: number[]; disentanglement: number[]; pairs_both: number }[];
}

/**
 * Noise levels of the IoU measurement: with the pixel-space linear betas, alpha_bar is 0.90, 0.66
 * and 0.39 at these (0.08 and 0.007 at t = 500 and 700, where the image is all but gone and no map
 * can find an object: those would measure the schedule, not the attention).
 */
export const IOU_TIMESTEPS: readonly number[] = [100, 200, 300];

/** Mean attention IoU per concept over a few noise levels, with the full prompt listing every concept. */
export function finalAttentionIoU(model: BasModel, folder: string, seed: number, timesteps: readonly number[] = IOU_TIMESTEPS): number[] {
  const n = Object.keys(model.tokenizer.get_added_vocab()).length;
  const tokens = Array.from({ length: n }, (_, i) => `<asset${i}>`);
  const res = model.unet.config.sample_size ?? 32;
  const inst = loadInstanceFolder(folder, { resolution: res, numOfAssets: n });
  const ids = model.tokenizer.encode(instancePrompt(tokens), { padding: 'max_length', truncation: true });
  const positions = model.tokenizer.convert_tokens_to_ids(tokens).map((id) => ids.indexOf(id));
  const store = new AttentionStore();
  const previous = register_attention_control(model.unet, store);
  const scheduler = trainingScheduler(model);
  const gen = new Generator(seed);
  const attn_res = defaultAttnRes(model);
  try {
    return no_grad(() => {
      const sums = new Array<number>(n).fill(0);
      const context = encodePrompts(model, [instancePrompt(tokens)]);
      for (const t of timesteps) {
        store.reset();
        const noisy = scheduler.add_noise(inst.image, gen.randn(inst.image.shape, { dtype: inst.image.dtype }), [t]);
        model.unet.forward(noisy, [t], context);
        const agg = aggregate_attention(store, attn_res, ['up', 'down'], true, 0);
        positions.forEach((p, i) => (sums[i]! += attentionIoU(normalizeByMax(select(agg, -1, p)), inst.masks[i]!)));
      }
      return sums.map((s) => s / timesteps.length);
    });
  } finally {
    model.unet.set_attn_processor(previous);
  }
}

/** What the detector finds in each of the `seeds` samples of "a photo of <assetI>". */
export function identityDetections(model: BasModel, i: number, o: Pick<BasEvalOptions, 'seeds' | 'seed'> & SamplingOptions): Detection[][] {
  const imgs = sample(model, { prompt: `a photo of <asset${i}>`, num_images: o.seeds, seed: o.seed, ...samplingOf(o) });
  return detectBatch(imgs.images);
}

/** The eval's scenes for a seed: 2-4 objects each, 32 px (scene-0, scene-1, ... of `bas eval --seed`). */
export function evalScenes(seed: number, count: number): Scene[] {
  const gen = new Generator(seed);
  return Array.from({ length: count }, () => sampleScene(gen, { numObjects: gen.integer(2, 5), resolution: 32 }));
}

export async function evalBreakAScene(o: BasEvalOptions, log: (m: string) => void = () => {}): Promise<VariantResult[]> {
  const fs = files();
  const scenes = evalScenes(o.seed, o.scenes).map((scene, i) => {
    const dir = fs.join(o.work_dir, 'scenes', `scene-${i}`);
    writeSceneFolder(dir, scene, 32, { overwrite: true });
    return { name: `scene-${i}`, dir, scene };
  });
  let prior: Partial<TrainConfig> = {};
  if (!o.train_overrides.no_prior_preservation) {
    const classDir = fs.join(o.work_dir, 'class_images');
    // drawn afresh each eval: a folder left by another base model must not be reused
    fs.remove(classDir);
    prior = { class_data_dir: classDir, class_prompt: o.class_prompt, num_class_images: o.num_class_images, num_inference_steps: o.num_inference_steps, guidance_scale: o.guidance_scale, eta: o.eta ?? 0 };
  }
  const results: VariantResult[] = [];
  for (const variant of o.variants) if (!VARIANTS[variant]) throw new Error(`unknown variant "${variant}"; known: ${Object.keys(VARIANTS).join(', ')}`);
  // the variants on exact masks, then the full method once per mask perturbation
  const runs: { name: string; extra: Readonly<Partial<TrainConfig>>; noise?: MaskNoise }[] = [
    ...o.variants.map((v) => ({ name: v, extra: VARIANTS[v]! })),
    ...(o.mask_noise ?? []).map((noise) => ({ name: `full, ${noise} masks`, extra: {}, noise })),
  ];
  const pixels = o.mask_noise_pixels ?? 2;
  for (const { name: variant, extra, noise } of runs) {
    const per_scene: VariantResult['per_scene'] = [];
    for (const s of scenes) {
      const out = fs.join(o.work_dir, 'runs', variant.replace(/[\s,]+/g, '_'), s.name);
      const n = s.scene.objects.length;
      let trainDir = s.dir;
      let training_mask_iou: number[] | undefined;
      if (noise) {
        trainDir = fs.join(o.work_dir, `scenes_${noise}`, s.name);
        training_mask_iou = writePerturbedSceneFolder(trainDir, s.scene, 32, noise, pixels);
      }
      // later overrides win: the eval's run settings, prior preservation, the caller's, the variant's
      const config = trainConfig({
        instance_data_dir: trainDir, num_of_assets: n, output_dir: out, seed: o.seed,
        phase1_train_steps: o.phase1_train_steps, phase2_train_steps: o.phase2_train_steps,
        checkpointing_steps: 0, pretrained_model_name_or_path: o.base_model, ...prior, ...o.train_overrides, ...extra,
      });
      log(`${variant} / ${s.name} (${s.scene.caption})`);
      await new BreakASceneTrainer(config, { log: () => {} }).train();
      const model = loadModel(out);
      const iou = finalAttentionIoU(model, s.dir, o.seed);
      const concepts: Concept[] = s.scene.objects.map((obj) => ({ colour: obj.colour, shape: obj.shape }));
      const identity: number[] = [];
      const identity_colour: number[] = [];
      const disentanglement: number[] = [];
      concepts.forEach((c, i) => {
        const dets = identityDetections(model, i, o);
        identity.push(mean(dets.map((d) => (hasConcept(d, c) ? 1 : 0))));
        identity_colour.push(mean(dets.map((d) => (hasColour(d, c.colour) ? 1 : 0))));
        disentanglement.push(mean(dets.map((d) => (concepts.every((other, j) => j === i || !hasColour(d, other.colour)) ? 1 : 0))));
      });
      const pairHits: number[] = [];
      for (let i = 0; i + 1 < n; i++) {
        const imgs = sample(model, { prompt: `a photo of <asset${i}> and <asset${i + 1}>`, num_images: o.seeds, seed: o.seed, ...samplingOf(o) });
        pairHits.push(...detectBatch(imgs.images).map((d) => (hasConcept(d, concepts[i]!) && hasConcept(d, concepts[i + 1]!) ? 1 : 0)));
      }
      per_scene.push({ scene: s.name, ...(training_mask_iou ? { training_mask_iou } : {}), iou, identity, identity_colour, disentanglement, pairs_both: mean(pairHits) });
      if (training_mask_iou) log(`  training masks vs true: IoU ${training_mask_iou.map((v) => v.toFixed(2)).join(' ')}`);
      log(`  IoU ${iou.map((v) => v.toFixed(2)).join(' ')}; identity ${mean(identity).toFixed(2)} (colour ${mean(identity_colour).toFixed(2)}); disentanglement ${mean(disentanglement).toFixed(2)}; pairs ${mean(pairHits).toFixed(2)}`);
    }
    results.push({
      variant,
      ...(noise ? { mask_noise: noise, training_mask_iou: mean(per_scene.flatMap((p) => p.training_mask_iou ?? [])) } : {}),
      attention_iou: mean(per_scene.flatMap((p) => p.iou)),
      identity: mean(per_scene.flatMap((p) => p.identity)),
      identity_colour: mean(per_scene.flatMap((p) => p.identity_colour)),
      disentanglement: mean(per_scene.flatMap((p) => p.disentanglement)),
      pairs_both: mean(per_scene.map((p) => p.pairs_both)),
      per_scene,
    });
  }
  return results;
}
