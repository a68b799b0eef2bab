// The project's fixed word-level vocabulary: enough words to caption the synthetic world of
// coloured shapes on backgrounds, the class prompt ("a photo at the beach"), and the initializer
// words of the original Break-A-Scene examples. Order matters: a word's id is its position in
// `default_vocab_tokens()`, so append new words at the end of a list, never in the middle, or
// saved checkpoints stop matching.

/** Single punctuation marks, "!" first so that, as in CLIP's vocabulary, id 0 is "!". */
export const PUNCTUATION: readonly string[] = [
  '!', '"', '#', '$', '%', '&', "'", '(', ')', '*', '+', ',', '-', '.', '/', ':', ';', '<', '=', '>', '?', '@',
  '[', '\\', ']', '^', '_', '`', '{', '|', '}', '~',
];

/** English contractions CLIP's pre-tokenizer splits off as their own pieces. */
export const CONTRACTIONS: readonly string[] = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

export const DIGITS: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export const WORDS: readonly string[] = [
  // function words and caption scaffolding
  'a', 'an', 'the', 'photo', 'of', 'and', 'on', 'at', 'in', 'with', 'to', 'is', 'are', 'it', 'its', 'this', 'that',
  'there', 'by', 'for', 'from', 'near', 'next', 'above', 'below', 'under', 'over', 'behind', 'beside', 'between',
  'inside', 'outside', 'around', 'against', 'two', 'three', 'four', 'five', 'one', 'some', 'many', 'several', 'each',
  'other', 'another', 'both', 'no', 'not', 'very', 'style', 'drawing', 'painting', 'sketch', 'render', 'rendering',
  'illustration', 'picture', 'image', 'scene', 'view', 'close', 'up', 'shot', 'background', 'foreground', 'side',
  // colours
  'red', 'green', 'blue', 'yellow', 'orange', 'purple', 'pink', 'cyan', 'magenta', 'white', 'black', 'grey', 'gray',
  'brown', 'dark', 'light', 'bright', 'pale', 'colorful', 'colourful', 'golden', 'silver', 'teal', 'violet',
  // shapes
  'circle', 'square', 'triangle', 'star', 'heart', 'ring', 'cross', 'diamond', 'hexagon', 'pentagon', 'ellipse',
  'rectangle', 'oval', 'disk', 'dot', 'line', 'stripe', 'shape', 'shapes', 'circles', 'squares', 'triangles', 'stars',
  // sizes
  'small', 'large', 'big', 'tiny', 'huge', 'medium', 'little', 'giant',
  // positions
  'left', 'right', 'top', 'bottom', 'center', 'centre', 'middle', 'corner', 'front', 'back',
  // textures and looks
  'striped', 'dotted', 'checkered', 'plain', 'textured', 'solid', 'spotted', 'smooth', 'rough', 'shiny', 'matte',
  'patterned', 'empty', 'flat', 'round',
  // places and backdrops
  'beach', 'sea', 'ocean', 'sand', 'sky', 'grass', 'field', 'forest', 'city', 'street', 'room', 'table', 'floor',
  'wall', 'snow', 'water', 'mountain', 'desert', 'garden', 'park', 'kitchen', 'studio', 'river', 'lake', 'space',
  'moon', 'sun', 'night', 'day', 'sunset', 'rain',
  // initializer words of the original examples, animals and everyday objects
  'creature', 'bowl', 'stone', 'bear', 'bird', 'chicken', 'rabbit', 'cat', 'dog', 'duck', 'fish', 'horse', 'owl',
  'monkey', 'teddy', 'doll', 'figure', 'statue', 'vase', 'cup', 'mug', 'plate', 'pot', 'jar', 'bottle', 'box', 'bag',
  'hat', 'shoe', 'shirt', 'chair', 'lamp', 'clock', 'book', 'car', 'boat', 'house', 'tree', 'flower', 'plant', 'rock',
  'leaf', 'apple', 'egg', 'candle', 'mask', 'robot', 'man', 'woman', 'person', 'child', 'baby', 'face', 'head',
  // generic nouns
  'object', 'objects', 'thing', 'things', 'toy', 'toys', 'ball', 'cube', 'block', 'sphere', 'cone', 'cylinder',
  'pyramid', 'item', 'piece', 'part', 'pattern', 'texture', 'color', 'colour', 'border', 'outline', 'shadow', 'edge',
  // verbs and adjectives that turn up in prompts
  'sitting', 'standing', 'lying', 'floating', 'wearing', 'holding', 'made', 'painted', 'drawn', 'cute', 'old', 'new',
  'beautiful', 'simple', 'high', 'quality', 'detailed', 'realistic', 'cartoon', 'toon',
];

/** Tokens that are never produced by splitting text; the tokenizer's special tokens. */
export const UNK_TOKEN = '<|unk|>';
export const BOS_TOKEN = '<|startoftext|>';
export const EOS_TOKEN = '<|endoftext|>';

/**
 * The project's vocabulary in id order: punctuation, contractions, digits, words, then unk, bos,
 * eos last (CLIP also puts its start and end tokens at the end of the vocabulary).
 */
export function default_vocab_tokens(): string[] {
  const out = [...PUNCTUATION, ...CONTRACTIONS, ...DIGITS, ...WORDS, UNK_TOKEN, BOS_TOKEN, EOS_TOKEN];
  const seen = new Set<string>();
  for (const t of out) {
    if (seen.has(t)) throw new Error(`duplicate token in the project vocabulary: ${JSON.stringify(t)}`);
    seen.add(t);
  }
  return out;
}
