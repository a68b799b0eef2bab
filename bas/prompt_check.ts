// What a prompt must be for a model that will read it: every <token> it names must be one the
// tokenizer has (else it would be split into "<", "asset", "0", ">"), and a prompt longer than the
// tokenizer's max length must not lose a learned token to truncation (the concept would silently
// vanish). Losing plain words to truncation, or words outside the vocabulary, is legitimate input
// and gets a one-line notice. `bas generate`, `bas edit` and the trainer's validation prompts use it.
import { InputError, type FieldNamer } from './errors.js';
import type { CLIPTokenizer } from '../nn/tokenizer/clip_tokenizer.js';

export interface PromptCheck {
  /** The configuration field or flag that gave the prompt (`prompt`, `validation_prompt`). */
  field: string;
  /** Quote the prompt in errors (`validation_prompt "..."`, one of several) or not (`the prompt`, the only one). */
  quote: boolean;
  /** Who lacks an unknown token (`the model at DIR`). */
  owner: string;
  notice: (msg: string) => void;
}

export function checkPromptFor(tokenizer: CLIPTokenizer, prompt: string, c: PromptCheck): void {
  const named = (n: FieldNamer): string => (c.quote ? `${n(c.field)} "${prompt}"` : n(c.field));
  const unknown = [...prompt.matchAll(/<[^<>\s]+>/g)].map((m) => m[0]).filter((t) => !tokenizer.has_token(t));
  if (unknown.length > 0) {
    const has = Object.keys(tokenizer.get_added_vocab()).join(', ') || 'no added tokens';
    throw new InputError((n) => `${c.quote ? named(n) : 'the prompt'} uses ${unknown.join(', ')}, which ${c.owner} does not have (it has: ${has})`);
  }
  const oov = tokenizer.unknown_words(prompt);
  if (oov.length > 0) c.notice(`warning: not in the vocabulary, read as <|unk|>: ${oov.join(', ')}`);

  const ids = tokenizer.encode(prompt);
  const max = tokenizer.model_max_length;
  if (ids.length <= max) return;
  // truncation keeps the start token, the first max - 2 words, and the end token
  const dropped = tokenizer.convert_ids_to_tokens(ids.slice(max - 1, -1));
  const added = new Set(Object.keys(tokenizer.get_added_vocab()));
  const lost = [...new Set(dropped.filter((t) => added.has(t)))];
  if (lost.length > 0) {
    throw new InputError((n) => `${named(n)} is ${ids.length} tokens and the model reads ${max}: ${lost.join(', ')} would be cut off; shorten the prompt or name it earlier`);
  }
  c.notice(`note: --${c.field} is ${ids.length} tokens and the model reads ${max}: "${dropped.join(' ')}" is cut off`);
}
