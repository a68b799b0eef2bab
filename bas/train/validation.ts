// Validation during training, as diffusers' DreamBooth and textual-inversion scripts do it: every
// validation_steps optimizer steps and at the end, num_validation_images samples of each
// validation prompt with the current weights, here with each sample's per-token cross-attention
// too. Image k of every prompt starts from seed + k at every validation, so the pictures of one
// run can be compared step by step; sampling uses generators of its own, so the training stream
// (and with it resume) is untouched. run_outputs.ts writes what this returns.
import { tensor, type Tensor } from '../../core/index.js';
import { rgbImagesOf, type RgbImage } from '../io/pixels.js';
import { checkPromptFor } from '../prompt_check.js';
import { sample, samplingOf, type BasModel } from '../model.js';
import type { TrainConfig } from './config.js';

export interface ValidationSample {
  /** Index of the prompt in validation_prompt. */
  prompt_index: number;
  prompt: string;
  /** Index of the image among the prompt's num_validation_images. */
  image_index: number;
  seed: number;
  image: RgbImage;
  /** The averaged cross-attention (res, res, tokens) of the sample, a host copy. */
  attention: Tensor | null;
  /** The prompt's tokens as the tokenizer wrote them, for the tiles' labels. */
  tokens: string[];
}

/** Whether a validation runs after optimizer step `step` (1-based) of `total`. */
export function validatesAt(a: Pick<TrainConfig, 'validation_prompt' | 'validation_steps'>, step: number, total: number): boolean {
  return a.validation_prompt.length > 0 && (step % a.validation_steps === 0 || step === total);
}

/** Every validation prompt must name only tokens the run has, none of them lost to truncation. */
export function checkValidationPrompts(model: BasModel, prompts: readonly string[], notice: (msg: string) => void): void {
  for (const p of prompts) checkPromptFor(model.tokenizer, p, { field: 'validation_prompt', quote: true, owner: 'this run', notice });
}

export function validationSamples(model: BasModel, a: Pick<TrainConfig, 'validation_prompt' | 'num_validation_images' | 'seed' | 'num_inference_steps' | 'guidance_scale' | 'eta'>, attn_res: number): ValidationSample[] {
  return a.validation_prompt.flatMap((prompt, prompt_index) =>
    Array.from({ length: a.num_validation_images }, (_, image_index) => {
      const seed = a.seed + image_index;
      // no tidy scope around sampling (as for class images and image logs): a scope holds every
      // intermediate of every denoising step until it closes, 2 GiB for 25 steps of `default`
      const out = sample(model, { prompt, seed, ...samplingOf(a), record_attention: true, attn_res });
      const att = out.attention;
      return {
        prompt_index,
        prompt,
        image_index,
        seed,
        image: rgbImagesOf(out.images)[0]!,
        attention: att ? tensor(att.data, { shape: att.shape, dtype: att.dtype }) : null,
        tokens: model.tokenizer.convert_ids_to_tokens(out.input_ids),
      };
    }),
  );
}
