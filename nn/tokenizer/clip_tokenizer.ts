// A word-level tokenizer with CLIP's conventions (transformers' CLIPTokenizer API): lower-casing,
// start and end tokens, padding to model_max_length, truncation that keeps both ends, added tokens
// matched in the raw text before splitting. CLIP itself runs byte-level BPE over a 49k vocabulary;
// a fixed word list is enough for the project's own small model, and makes unknown words visible.
import type { Files } from '../../platform/files.js';
import { files } from '../../platform/platform.js';
import { read_json_object, to_json_text, write_file_atomic } from '../fs_atomic.js';
import { BOS_TOKEN, EOS_TOKEN, UNK_TOKEN, default_vocab_tokens } from './vocab.js';

export interface CLIPTokenizerOptions {
  /** token -> id (ids 0..n-1) or the tokens in id order; the project vocabulary by default. */
  vocab?: Readonly<Record<string, number>> | readonly string[];
  /** Tokens added after the vocabulary, token -> id (ids n, n+1, ...). */
  added_tokens?: Readonly<Record<string, number>>;
  /** Length that `padding: 'max_length'` pads to and truncation cuts to; CLIP's is 77. */
  model_max_length?: number;
  bos_token?: string;
  eos_token?: string;
  unk_token?: string;
  /** Defaults to the end token, as CLIP's tokenizer and SD 1.x do. */
  pad_token?: string;
  do_lower_case?: boolean;
}

export type Padding = 'max_length' | 'longest' | 'do_not_pad' | boolean;

export interface EncodeOptions {
  /** 'max_length' pads to max_length; 'longest' (batches) to the longest; default no padding. */
  padding?: Padding;
  /** Cut to max_length, keeping the start token first and the end token last. */
  truncation?: boolean;
  /** Defaults to model_max_length. */
  max_length?: number;
  /** Start and end tokens around the text; default true. */
  add_special_tokens?: boolean;
  /** What an out-of-vocabulary word becomes: the unk id (default) or an error naming it. */
  on_unknown?: 'unk' | 'error';
}

export interface DecodeOptions {
  skip_special_tokens?: boolean;
  /** Drops the space before punctuation and contractions ("circle ." -> "circle."); default true. */
  clean_up_tokenization_spaces?: boolean;
}

export interface BatchEncoding {
  input_ids: number[][];
  /** 1 for real tokens (start and end included), 0 for padding. */
  attention_mask: number[][];
}

/** The files a tokenizer folder holds (transformers' names). */
export const TOKENIZER_FILES = {
  vocab: 'vocab.json',
  added_tokens: 'added_tokens.json',
  config: 'tokenizer_config.json',
  special_tokens_map: 'special_tokens_map.json',
} as const;

// CLIP's pre-tokenizer pattern, with punctuation split into single marks so that a word-level
// vocabulary can hold every piece.
const SPLIT = /'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]/gu;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function vocab_to_map(vocab: Readonly<Record<string, number>> | readonly string[]): Map<string, number> {
  const entries: [string, number][] = Array.isArray(vocab)
    ? (vocab as readonly string[]).map((t, i) => [t, i])
    : Object.entries(vocab as Readonly<Record<string, number>>);
  const map = new Map<string, number>();
  const ids = new Set<number>();
  for (const [tok, id] of entries) {
    if (tok.length === 0) throw new Error('vocabulary holds an empty token');
    if (map.has(tok)) throw new Error(`vocabulary holds ${JSON.stringify(tok)} twice`);
    if (!Number.isInteger(id) || id < 0) throw new Error(`vocabulary id of ${JSON.stringify(tok)} is not a non-negative integer: ${id}`);
    if (ids.has(id)) throw new Error(`vocabulary id ${id} is used twice`);
    map.set(tok, id);
    ids.add(id);
  }
  for (let i = 0; i < map.size; i++) if (!ids.has(i)) throw new Error(`vocabulary ids must be 0..${map.size - 1}; ${i} is missing`);
  return map;
}

export class CLIPTokenizer {
  readonly model_max_length: number;
  readonly bos_token: string;
  readonly eos_token: string;
  readonly unk_token: string;
  readonly pad_token: string;
  readonly do_lower_case: boolean;
  private readonly encoder: Map<string, number>;
  private readonly decoder: string[];
  /** Base vocabulary size; ids at or above it belong to added tokens. */
  private readonly base_size: number;
  private added: string[] = [];
  private splitter: RegExp | null = null;

  constructor(opts: CLIPTokenizerOptions = {}) {
    this.encoder = vocab_to_map(opts.vocab ?? default_vocab_tokens());
    this.base_size = this.encoder.size;
    this.decoder = new Array<string>(this.base_size);
    for (const [t, id] of this.encoder) this.decoder[id] = t;
    this.model_max_length = opts.model_max_length ?? 77;
    if (!Number.isInteger(this.model_max_length) || this.model_max_length < 2) {
      throw new Error(`model_max_length must be an integer >= 2 (room for start and end), got ${this.model_max_length}`);
    }
    this.do_lower_case = opts.do_lower_case ?? true;
    if (opts.added_tokens) {
      const sorted = Object.entries(opts.added_tokens).sort((a, b) => a[1] - b[1]);
      sorted.forEach(([tok, id], i) => {
        if (id !== this.base_size + i) {
          throw new Error(`added token ${JSON.stringify(tok)} has id ${id}; added ids must run on from the vocabulary size ${this.base_size} without gaps`);
        }
        if (this.encoder.has(tok)) throw new Error(`added token ${JSON.stringify(tok)} is already in the vocabulary`);
        this.push_token(tok);
      });
    }
    this.bos_token = opts.bos_token ?? BOS_TOKEN;
    this.eos_token = opts.eos_token ?? EOS_TOKEN;
    this.unk_token = opts.unk_token ?? UNK_TOKEN;
    this.pad_token = opts.pad_token ?? this.eos_token;
    for (const [role, tok] of [['bos', this.bos_token], ['eos', this.eos_token], ['unk', this.unk_token], ['pad', this.pad_token]] as const) {
      if (!this.encoder.has(tok)) throw new Error(`${role}_token ${JSON.stringify(tok)} is not in the vocabulary`);
    }
  }

  private push_token(tok: string): void {
    const id = this.decoder.length;
    this.encoder.set(tok, id);
    this.decoder.push(tok);
    this.added.push(tok);
    this.splitter = null;
  }

  /** Size of the base vocabulary, without added tokens (transformers' `vocab_size`). */
  get vocab_size(): number {
    return this.base_size;
  }

  /** All tokens, added ones included (`len(tokenizer)`): the rows the embedding table needs. */
  get length(): number {
    return this.decoder.length;
  }

  get bos_token_id(): number {
    return this.encoder.get(this.bos_token)!;
  }
  get eos_token_id(): number {
    return this.encoder.get(this.eos_token)!;
  }
  get unk_token_id(): number {
    return this.encoder.get(this.unk_token)!;
  }
  get pad_token_id(): number {
    return this.encoder.get(this.pad_token)!;
  }

  get all_special_tokens(): string[] {
    return [...new Set([this.bos_token, this.eos_token, this.unk_token, this.pad_token])];
  }

  get all_special_ids(): number[] {
    return this.all_special_tokens.map((t) => this.encoder.get(t)!);
  }

  /** token -> id for every token, added ones included. */
  get_vocab(): Record<string, number> {
    return Object.fromEntries(this.encoder);
  }

  /** token -> id for the added tokens only. */
  get_added_vocab(): Record<string, number> {
    return Object.fromEntries(this.added.map((t) => [t, this.encoder.get(t)!]));
  }

  /** Whether `token` is a whole token of the vocabulary (base or added), matched exactly. */
  has_token(token: string): boolean {
    return this.encoder.has(token);
  }

  /**
   * Adds tokens that are not in the vocabulary yet, each with the next free id; returns how many
   * were actually added (tokens already present, or repeated in the list, count once or not at all).
   */
  add_tokens(tokens: string | readonly string[]): number {
    const list = typeof tokens === 'string' ? [tokens] : tokens;
    let n = 0;
    for (const tok of list) {
      if (typeof tok !== 'string' || tok.length === 0) throw new Error('add_tokens: tokens must be non-empty strings');
      if (this.encoder.has(tok)) continue;
      this.push_token(tok);
      n++;
    }
    return n;
  }

  // Special and added tokens, longest first so that at one position the longest match wins.
  private get_splitter(): RegExp {
    if (!this.splitter) {
      const whole = [...new Set([...this.all_special_tokens, ...this.added])].sort((a, b) => b.length - a.length);
      this.splitter = new RegExp(`(${whole.map(escapeRegExp).join('|')})`, 'u');
    }
    return this.splitter;
  }

  /**
   * Splits text into token strings. Special and added tokens are matched first, case-sensitively,
   * in the raw text (as transformers does); the rest is lower-cased and split into words, single
   * digits, contractions and single punctuation marks. Pieces may be outside the vocabulary.
   */
  tokenize(text: string): string[] {
    const out: string[] = [];
    // with a capture group, split puts the matched tokens at the odd indices
    text.split(this.get_splitter()).forEach((part, i) => {
      if (i % 2 === 1) {
        out.push(part);
        return;
      }
      const norm = this.do_lower_case ? part.normalize('NFC').toLowerCase() : part.normalize('NFC');
      for (const m of norm.matchAll(SPLIT)) out.push(m[0]);
    });
    return out;
  }

  /** The distinct pieces of `text` that are not in the vocabulary, in order of appearance. */
  unknown_words(text: string): string[] {
    return [...new Set(this.tokenize(text).filter((t) => !this.encoder.has(t)))];
  }

  /** Unknown tokens map to the unk id, as in transformers. */
  convert_tokens_to_ids(tokens: string): number;
  convert_tokens_to_ids(tokens: readonly string[]): number[];
  convert_tokens_to_ids(tokens: string | readonly string[]): number | number[] {
    const one = (t: string): number => this.encoder.get(t) ?? this.unk_token_id;
    return typeof tokens === 'string' ? one(tokens) : tokens.map(one);
  }

  convert_ids_to_tokens(ids: number): string;
  convert_ids_to_tokens(ids: readonly number[]): string[];
  convert_ids_to_tokens(ids: number | readonly number[]): string | string[] {
    const one = (id: number): string => {
      const t = Number.isInteger(id) ? this.decoder[id] : undefined;
      if (t === undefined) throw new RangeError(`token id ${id} is out of range (vocabulary of ${this.decoder.length})`);
      return t;
    };
    return typeof ids === 'number' ? one(ids) : ids.map(one);
  }

  /** Token ids of one text: [bos, ...words, eos], then truncated and padded as asked. */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const ids = this.encode_unpadded(text, opts);
    return opts.padding === 'max_length' ? this.pad_to(ids, opts.max_length ?? this.model_max_length) : ids;
  }

  /** Encodes several texts; 'longest' (or true) pads to the longest of them. */
  batch_encode(texts: readonly string[], opts: EncodeOptions = {}): BatchEncoding {
    const rows = texts.map((t) => this.encode_unpadded(t, opts));
    const target =
      opts.padding === 'max_length' ? (opts.max_length ?? this.model_max_length)
      : opts.padding === 'longest' || opts.padding === true ? Math.max(0, ...rows.map((r) => r.length))
      : 0;
    return {
      input_ids: rows.map((r) => this.pad_to(r, target)),
      attention_mask: rows.map((r) => this.pad_to(r, target).map((_, j) => (j < r.length ? 1 : 0))),
    };
  }

  private pad_to(ids: number[], length: number): number[] {
    return ids.length < length ? ids.concat(new Array<number>(length - ids.length).fill(this.pad_token_id)) : ids;
  }

  private encode_unpadded(text: string, opts: EncodeOptions): number[] {
    const pieces = this.tokenize(text);
    if (opts.on_unknown === 'error') {
      const unknown = [...new Set(pieces.filter((t) => !this.encoder.has(t)))];
      if (unknown.length > 0) {
        throw new Error(`not in the tokenizer's vocabulary: ${unknown.map((u) => JSON.stringify(u)).join(', ')} (in ${JSON.stringify(text)})`);
      }
    }
    let ids = this.convert_tokens_to_ids(pieces);
    const special = opts.add_special_tokens ?? true;
    if (opts.truncation) {
      const max_length = opts.max_length ?? this.model_max_length;
      const room = max_length - (special ? 2 : 0);
      if (room < 0) throw new Error(`max_length ${max_length} leaves no room for the start and end tokens`);
      ids = ids.slice(0, room);
    }
    return special ? [this.bos_token_id, ...ids, this.eos_token_id] : ids;
  }

  /** Tokens joined by spaces; special tokens (start, end, pad, unk) dropped when asked. */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    const skip = opts.skip_special_tokens ? new Set(this.all_special_ids) : null;
    const toks = this.convert_ids_to_tokens(skip ? ids.filter((id) => !skip.has(id)) : ids);
    let text = toks.join(' ');
    if (opts.clean_up_tokenization_spaces ?? true) {
      text = text
        .replace(/ ([.?!,])/g, '$1')
        .replace(/ ' /g, "'")
        .replace(/ n't\b/g, "n't")
        .replace(/ ('(?:s|m|ve|re|ll|d))\b/g, '$1');
    }
    return text;
  }

  /** The tokenizer as transformers' JSON files: file name -> text. */
  to_files(): Record<string, string> {
    const base: Record<string, number> = {};
    for (let id = 0; id < this.base_size; id++) base[this.decoder[id]!] = id;
    const specials = { bos_token: this.bos_token, eos_token: this.eos_token, unk_token: this.unk_token, pad_token: this.pad_token };
    return {
      [TOKENIZER_FILES.vocab]: to_json_text(base),
      [TOKENIZER_FILES.added_tokens]: to_json_text(this.get_added_vocab()),
      [TOKENIZER_FILES.config]: to_json_text({
        tokenizer_class: 'CLIPTokenizer',
        // marks the word-level vocabulary: transformers' CLIPTokenizer would also need merges.txt
        tokenizer_type: 'word-level',
        model_max_length: this.model_max_length,
        do_lower_case: this.do_lower_case,
        ...specials,
      }),
      [TOKENIZER_FILES.special_tokens_map]: to_json_text(specials),
    };
  }

  /** Writes vocab.json, added_tokens.json, tokenizer_config.json, special_tokens_map.json. */
  save_pretrained(dir: string, fs: Files = files()): void {
    fs.mkdirp(dir);
    for (const [name, text] of Object.entries(this.to_files())) write_file_atomic(fs.join(dir, name), text, fs);
  }

  /** Reads a folder written by `save_pretrained`; added_tokens.json may be absent. */
  static from_pretrained(dir: string, fs: Files = files()): CLIPTokenizer {
    const join = (file: string): string => fs.join(dir, file);
    const vocab_raw = read_json_object(join(TOKENIZER_FILES.vocab), 'tokenizer vocabulary', fs);
    const config = read_json_object(join(TOKENIZER_FILES.config), 'tokenizer config', fs);
    // transformers writes added_tokens.json only when there are added tokens
    const added_path = join(TOKENIZER_FILES.added_tokens);
    const added_raw = fs.exists(added_path) ? read_json_object(added_path, 'tokenizer added tokens', fs) : {};
    const as_ids = (o: Record<string, unknown>, file: string): Record<string, number> => {
      for (const [k, v] of Object.entries(o)) {
        if (typeof v !== 'number') throw new Error(`${join(file)}: id of ${JSON.stringify(k)} is not a number`);
      }
      return o as Record<string, number>;
    };
    const str = (key: string): string | undefined => {
      const v = config[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v === 'string') return v;
      // transformers may store a special token as {"content": "...", ...}
      if (typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
      throw new Error(`${join(TOKENIZER_FILES.config)}: ${key} must be a string`);
    };
    const mml = config.model_max_length;
    if (mml !== undefined && typeof mml !== 'number') throw new Error(`${join(TOKENIZER_FILES.config)}: model_max_length must be a number`);
    try {
      return new CLIPTokenizer({
        vocab: as_ids(vocab_raw, TOKENIZER_FILES.vocab),
        added_tokens: as_ids(added_raw, TOKENIZER_FILES.added_tokens),
        model_max_length: mml,
        bos_token: str('bos_token'),
        eos_token: str('eos_token'),
        unk_token: str('unk_token'),
        pad_token: str('pad_token'),
        do_lower_case: typeof config.do_lower_case === 'boolean' ? config.do_lower_case : undefined,
      });
    } catch (e) {
      throw new Error(`tokenizer in ${dir}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
