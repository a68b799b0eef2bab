// Measurement (a) of `bas eval`: how well the base model follows prompts of the synthetic world.
// Single-object prompts "a photo of a {colour} {shape}": colour fidelity (the colour is there) and
// shape fidelity (the object of that colour has the shape); two-object prompts: both present.
import { Generator, type Tensor } from '../../core/index.js';
import { sample, samplingOf, type BasModel, type SamplingOptions } from '../../bas/model.js';
import { detectBatch, hasColour, hasConcept, mean, type Concept } from './judge.js';

/** What is measured and how each picture is drawn (steps and guidance required; rescale and eta off when absent). */
export interface BaseEvalOptions extends SamplingOptions {
  colours: readonly string[];
  shapes: readonly string[];
  /** Images per prompt (seeds 0..K-1, batched). */
  seeds: number;
  /** Two-object prompts, drawn from the colours x shapes without repeating a colour. */
  pairs: number;
  num_inference_steps: number;
  guidance_scale: number;
  seed: number;
}

/** Images for a prompt: (num_images, 3, H, W) in [-1, 1], seeded. What is judged, model or not. */
export type PromptSampler = (prompt: string, num_images: number, seed: number) => Tensor;

/** A text-to-image model's sampler with the evaluation's DDIM steps and guidance. */
export function modelSampler(model: BasModel, o: SamplingOptions): PromptSampler {
  return (prompt, num_images, seed) => sample(model, { prompt, num_images, seed, ...samplingOf(o) }).images;
}

export interface BaseEvalResult {
  colour_fidelity: number;
  shape_fidelity: number;
  both_present: number;
  single_images: number;
  pair_images: number;
  per_prompt: { prompt: string; colour: number; shape: number }[];
}

/** "a red circle", "an orange cross": a concept as the prompts name it. */
export const phrase = (c: Concept): string => `${/^[aeiou]/.test(c.colour) ? 'an' : 'a'} ${c.colour} ${c.shape}`;

export function evalBaseModel(model: BasModel | PromptSampler, o: BaseEvalOptions, log: (m: string) => void = () => {}): BaseEvalResult {
  const draw = typeof model === 'function' ? model : modelSampler(model, o);
  const per_prompt: BaseEvalResult['per_prompt'] = [];
  const colourHits: number[] = [];
  const shapeHits: number[] = [];
  for (const colour of o.colours) {
    for (const shape of o.shapes) {
      const prompt = `a photo of ${phrase({ colour, shape })}`;
      const dets = detectBatch(draw(prompt, o.seeds, o.seed));
      const c = dets.map((d) => (hasColour(d, colour) ? 1 : 0));
      const s = dets.map((d) => (hasConcept(d, { colour, shape }) ? 1 : 0));
      colourHits.push(...c);
      shapeHits.push(...s);
      per_prompt.push({ prompt, colour: mean(c), shape: mean(s) });
      log(`  ${prompt}: colour ${mean(c).toFixed(2)}, shape ${mean(s).toFixed(2)}`);
    }
  }
  const gen = new Generator(o.seed + 1);
  const bothHits: number[] = [];
  for (let p = 0; p < o.pairs; p++) {
    const [c1, c2] = gen.sample([...o.colours], 2) as [string, string];
    const a: Concept = { colour: c1, shape: o.shapes[gen.integer(0, o.shapes.length)]! };
    const b: Concept = { colour: c2, shape: o.shapes[gen.integer(0, o.shapes.length)]! };
    const prompt = `a photo of ${phrase(a)} and ${phrase(b)}`;
    const hits = detectBatch(draw(prompt, o.seeds, o.seed + 1000 + p)).map((d) => (hasConcept(d, a) && hasConcept(d, b) ? 1 : 0));
    bothHits.push(...hits);
    log(`  ${prompt}: both present ${mean(hits).toFixed(2)}`);
  }
  return {
    colour_fidelity: mean(colourHits),
    shape_fidelity: mean(shapeHits),
    both_present: mean(bothHits),
    single_images: colourHits.length,
    pair_images: bothHits.length,
    per_prompt,
  };
}
