// What one optimizer step trains on: its examples drawn in one go (union samples, class images,
// noise, timesteps), then split into the micro-batches of gradient accumulation. Drawing all
// G x batch examples first, in the order a single batch of that size draws them, makes G
// micro-batches of b the same examples as one batch of G x b: accumulation changes how the
// gradient is summed, never what is sampled (test/bas/train_accumulation.test.ts).
import { cat, index_select, narrow, type DType, type Generator, type Tensor } from '../../core/index.js';
import { sampleUnion, type UnionSample } from '../data/union_sampling.js';
import type { InstanceBatch, PriorBatch } from './loss.js';

export interface StepData {
  image: Tensor;
  masks: Tensor[];
  classImages: Tensor | null;
  classIds: number[] | null;
}

export interface DrawOptions {
  placeholder_tokens: readonly string[];
  union_sampling: boolean;
  /** Instance examples per micro-batch (train_batch_size). */
  batch_size: number;
  /** Micro-batches per optimizer step (gradient_accumulation_steps). */
  micro_batches: number;
  /** The optimizer step's 0-based index: class images are taken in turn, step by step. */
  step: number;
  resolution: number;
  dtype: DType;
  num_train_timesteps: number;
  tokenize: (prompts: readonly string[]) => number[][];
}

/** One micro-batch: what breakASceneLoss takes, and the union samples it came from. */
export interface MicroBatch {
  samples: UnionSample[];
  instance: InstanceBatch;
  prior: PriorBatch | null;
  /** [prior..., instance...] rows, as breakASceneLoss wants them. */
  noise: Tensor;
  timesteps: number[];
}

/**
 * Draws an optimizer step's examples and splits them. Draw order: union samples, noise, timesteps
 * (class images are picked by position, not drawn), for all G x b examples at once.
 */
export function drawMicroBatches(gen: Generator, data: StepData, o: DrawOptions): MicroBatch[] {
  const b = o.batch_size;
  const G = o.micro_batches;
  const total = b * G;
  const samples = Array.from({ length: total }, () => sampleUnion(gen, data.image, data.masks, { placeholder_tokens: o.placeholder_tokens, union_sampling: o.union_sampling }));
  const input_ids = o.tokenize(samples.map((s) => s.prompt));
  let prior: PriorBatch | null = null;
  if (data.classImages && data.classIds) {
    const n = data.classImages.dim(0);
    const idx = Array.from({ length: total }, (_, i) => (o.step * total + i) % n);
    prior = { images: index_select(data.classImages, 0, idx), input_ids: idx.map(() => data.classIds!) };
  }
  const nPrior = prior ? total : 0;
  const noise = gen.randn([nPrior + total, 3, o.resolution, o.resolution], { dtype: o.dtype });
  const timesteps = Array.from({ length: nPrior + total }, () => gen.integer(0, o.num_train_timesteps));
  const whole = { samples, input_ids, prior, noise, timesteps };
  if (G === 1) return [microBatch(whole, 0, total, nPrior)];
  return Array.from({ length: G }, (_, k) => microBatch(whole, k * b, b, nPrior));
}

interface Whole {
  samples: UnionSample[];
  input_ids: number[][];
  prior: PriorBatch | null;
  noise: Tensor;
  timesteps: number[];
}

/** Examples [from, from + n) of the step: their instance rows, and their class rows when there are any. */
function microBatch(w: Whole, from: number, n: number, nPrior: number): MicroBatch {
  const samples = w.samples.slice(from, from + n);
  const rows = (t: Tensor): Tensor => (nPrior ? cat([narrow(t, 0, from, n), narrow(t, 0, nPrior + from, n)], 0) : narrow(t, 0, from, n));
  const whole = from === 0 && n === w.samples.length;
  return {
    samples,
    instance: { images: cat(samples.map((s) => s.image), 0), masks: samples.map((s) => s.masks), concept_ids: samples.map((s) => s.token_ids), input_ids: w.input_ids.slice(from, from + n) },
    prior: w.prior ? { images: whole ? w.prior.images : narrow(w.prior.images, 0, from, n), input_ids: w.prior.input_ids.slice(from, from + n) } : null,
    noise: whole ? w.noise : rows(w.noise),
    timesteps: whole ? w.timesteps : [...(nPrior ? w.timesteps.slice(from, from + n) : []), ...w.timesteps.slice(nPrior + from, nPrior + from + n)],
  };
}
