// Captions and the words they use. "a photo of a red circle and an orange star on a striped grey
// background": objects in drawing order, then the background with its texture word (none for plain).
import { BACKGROUND_NAMES, COLOUR_NAMES, TEXTURES } from './palette.js';
import type { Scene, SceneObject } from './scene.js';
import { SIZE_NAMES } from './scene.js';
import { SHAPE_NAMES } from './shapes.js';

export const CAPTION_WORDS = ['a', 'an', 'photo', 'of', 'and', 'on', 'background'] as const;
export const COLOUR_WORDS: readonly string[] = COLOUR_NAMES;
export const SHAPE_WORDS: readonly string[] = SHAPE_NAMES;
export const BACKGROUND_WORDS: readonly string[] = BACKGROUND_NAMES;
export const TEXTURE_WORDS: readonly string[] = TEXTURES.filter((t) => t !== 'plain');
/** Not in the default captions (sizes are left implicit), available with `withSizes`. */
export const SIZE_WORDS: readonly string[] = SIZE_NAMES;

/** Every word a world caption can contain: the tokenizer's vocabulary must hold all of them. */
export const WORLD_WORDS: readonly string[] = [
  ...CAPTION_WORDS, ...COLOUR_WORDS, ...SHAPE_WORDS, ...BACKGROUND_WORDS, ...TEXTURE_WORDS, ...SIZE_WORDS,
];

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

/** "a red circle", "an orange star", with `withSizes` "a large red circle". */
export function objectPhrase(o: Pick<SceneObject, 'colour' | 'shape' | 'size'>, withSizes = false): string {
  const words = withSizes ? [o.size, o.colour, o.shape] : [o.colour, o.shape];
  return `${article(words[0]!)} ${words.join(' ')}`;
}

/**
 * The scene's caption. `withoutBackground` leaves the background phrase out ("a photo of a red
 * circle"), the form evaluation and Break-A-Scene prompts take: pretraining mixes both forms so
 * such prompts are in distribution, with the background then left to the model.
 */
export function captionOf(scene: Pick<Scene, 'objects' | 'background'>, opts: { withSizes?: boolean; withoutBackground?: boolean } = {}): string {
  const objects = scene.objects.map((o) => objectPhrase(o, opts.withSizes)).join(' and ');
  if (opts.withoutBackground) return `a photo of ${objects}`;
  const { name, texture } = scene.background;
  const bg = texture === 'plain' ? name : `${texture} ${name}`;
  return `a photo of ${objects} on a ${bg} background`;
}
