// The N placeholder tokens <asset0> ... <asset{N-1}>: added to the tokenizer, the text encoder's
// token table grown by N rows, each new row a copy of its initializer word's embedding (or, with
// no initializers, of rows [-3N, -2N) of the grown table, as the original does).
import type { Generator } from '../../core/index.js';
import type { CLIPTextModel } from '../../nn/clip/text_model.js';
import type { CLIPTokenizer } from '../../nn/tokenizer/clip_tokenizer.js';
import { InputError } from '../errors.js';

export interface Placeholders {
  tokens: string[];
  ids: number[];
}

function placeholderTokens(n: number, template = '<asset>'): string[] {
  return Array.from({ length: n }, (_, i) => template.replace('>', `${i}>`));
}

export function addPlaceholderTokens(
  tokenizer: CLIPTokenizer,
  text_encoder: CLIPTextModel,
  n: number,
  initializer_tokens: readonly string[],
  generator?: Generator,
  template = '<asset>',
): Placeholders {
  if (!/^<[^<>\s]+>$/.test(template)) throw new InputError((n) => `${n('placeholder_token')} must look like <name>, got "${template}"`);
  if (initializer_tokens.length > 0 && initializer_tokens.length !== n) {
    throw new InputError((f) => `${f('initializer_tokens')} gives ${initializer_tokens.length} words for ${f('num_of_assets')} ${n}`);
  }
  const initIds = initializer_tokens.map((w) => {
    const ids = tokenizer.encode(w, { add_special_tokens: false, on_unknown: 'unk' });
    if (ids.length === 0 || !tokenizer.has_token(w.toLowerCase())) {
      throw new InputError(`initializer word "${w}" is not in the tokenizer's vocabulary`);
    }
    return ids[0]!;
  });
  const tokens = placeholderTokens(n, template);
  const added = tokenizer.add_tokens(tokens);
  if (added !== n) throw new InputError(`the tokenizer already has placeholder tokens (${tokens.join(', ')}); use a base model without them`);
  const ids = tokenizer.convert_tokens_to_ids(tokens);
  const size = tokenizer.length;
  const emb = text_encoder.resize_token_embeddings(size, generator);
  const w = emb.weight.data;
  const dim = emb.embedding_dim;
  ids.forEach((id, i) => {
    const src = initIds.length > 0 ? initIds[i]! : size - 3 * n + i;
    w.copyWithin(id * dim, src * dim, (src + 1) * dim);
  });
  return { tokens, ids };
}
