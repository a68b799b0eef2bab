import { describe, expect, it } from 'vitest';
import { Generator, tensor } from '../../core/index.js';
import { instancePrompt, sampleUnion } from '../../bas/data/union_sampling.js';

const tokens = ['<asset0>', '<asset1>', '<asset2>'];
// each mask (1, 1, 1, 2) carries its own id and a left/right marker, so order and flips show
const masks = tokens.map((_, i) => tensor([i, i + 10], { shape: [1, 1, 1, 2], dtype: 'float64' }));
const image = tensor([1, 2], { shape: [1, 1, 1, 2], dtype: 'float64' });

describe('union sampling', () => {
  it('covers every subset size and keeps prompt, masks and ids in the same order', () => {
    const gen = new Generator(4);
    const sizes = new Set<number>();
    const subsets = new Set<string>();
    let flips = 0;
    for (let i = 0; i < 400; i++) {
      const s = sampleUnion(gen, image, masks, { placeholder_tokens: tokens });
      sizes.add(s.token_ids.length);
      subsets.add([...s.token_ids].sort().join(','));
      expect(new Set(s.token_ids).size).toBe(s.token_ids.length);
      expect(s.prompt).toBe(instancePrompt(s.token_ids.map((t) => tokens[t]!)));
      s.masks.forEach((m, j) => {
        const id = s.token_ids[j]!;
        expect([...m.data]).toEqual(s.flipped ? [id + 10, id] : [id, id + 10]);
      });
      expect([...s.image.data]).toEqual(s.flipped ? [2, 1] : [1, 2]);
      if (s.flipped) flips++;
    }
    expect([...sizes].sort()).toEqual([1, 2, 3]);
    expect(subsets.size).toBe(7); // every non-empty subset of 3 concepts
    expect(flips).toBeGreaterThan(150);
    expect(flips).toBeLessThan(250);
  });

  it('writes the prompt as the original does', () => {
    expect(instancePrompt(['<asset2>', '<asset0>'])).toBe('a photo of <asset2> and <asset0>');
  });

  it('lists every concept in order without union sampling', () => {
    const s = sampleUnion(new Generator(1), image, masks, { placeholder_tokens: tokens, union_sampling: false });
    expect(s.token_ids).toEqual([0, 1, 2]);
  });

  it('is reproducible for a seed', () => {
    const prompts = (seed: number): string[] => {
      const g = new Generator(seed);
      return Array.from({ length: 20 }, () => sampleUnion(g, image, masks, { placeholder_tokens: tokens }).prompt);
    };
    expect(prompts(7)).toEqual(prompts(7));
    expect(prompts(7)).not.toEqual(prompts(8));
  });
});
