// Union sampling: each training example shows a random non-empty subset of the concepts, in random
// order, with the prompt "a photo of <assetI> and <assetJ> ..." and the matching masks and ids.
// With probability 0.5 the image and its masks are flipped horizontally together.
import { flip, type Generator, type Tensor } from '../../core/index.js';

export interface UnionSample {
  /** Concept indices in prompt order. */
  token_ids: number[];
  prompt: string;
  /** (1, 3, H, W) in [-1, 1]. */
  image: Tensor;
  /** One (1, 1, H, W) mask per chosen concept, in prompt order. */
  masks: Tensor[];
  flipped: boolean;
}

export interface UnionSamplingOptions {
  /** The placeholder tokens, `<asset0>` ... */
  placeholder_tokens: readonly string[];
  /** false: every example lists every concept in order (the "no union sampling" ablation). */
  union_sampling?: boolean;
  /** Probability of the paired horizontal flip (0.5 in the original). */
  flip_p?: number;
}

export function instancePrompt(tokens: readonly string[]): string {
  return `a photo of ${tokens.join(' and ')}`;
}

/** Draws one example. Draw order (k, subset, flip) follows the original's use of `random`. */
export function sampleUnion(gen: Generator, image: Tensor, masks: readonly Tensor[], opts: UnionSamplingOptions): UnionSample {
  const n = opts.placeholder_tokens.length;
  if (n !== masks.length) throw new Error(`${n} placeholder tokens for ${masks.length} masks`);
  let ids: number[];
  if (opts.union_sampling ?? true) {
    const k = gen.integer(1, n + 1);
    ids = gen.sample([...Array(n).keys()], k);
  } else {
    ids = [...Array(n).keys()];
  }
  const flipped = gen.random() < (opts.flip_p ?? 0.5);
  const chosen = ids.map((i) => masks[i]!);
  return {
    token_ids: ids,
    prompt: instancePrompt(ids.map((i) => opts.placeholder_tokens[i]!)),
    image: flipped ? flip(image, -1) : image,
    masks: flipped ? chosen.map((m) => flip(m, -1)) : chosen,
    flipped,
  };
}
