import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CLIPTokenizer, WORDS, default_vocab_tokens } from '../../nn/tokenizer/index.js';

const tmpRoot = mkdtempSync(join(tmpdir(), 'bas-tok-'));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(tmpRoot, `t${n++}`);

describe('vocabulary', () => {
  it('puts "!" at id 0 and the unk, start and end tokens last, with unique entries', () => {
    const toks = default_vocab_tokens();
    expect(toks[0]).toBe('!');
    expect(toks.slice(-3)).toEqual(['<|unk|>', '<|startoftext|>', '<|endoftext|>']);
    expect(new Set(toks).size).toBe(toks.length);
    expect(WORDS.length).toBeGreaterThanOrEqual(150);
    expect(WORDS.length).toBeLessThanOrEqual(300);
    for (const w of ['a', 'photo', 'of', 'and', 'beach', 'red', 'circle', 'grey', 'gray', 'creature', 'bowl', 'stone']) {
      expect(toks).toContain(w);
    }
    // every word survives the pre-tokenizer whole (otherwise it could never be produced)
    const tok = new CLIPTokenizer();
    for (const w of WORDS) expect(tok.tokenize(w)).toEqual([w]);
  });
});

describe('CLIPTokenizer', () => {
  it('lower-cases and splits on whitespace and punctuation', () => {
    const tok = new CLIPTokenizer();
    expect(tok.tokenize('A  Photo of a RED circle,on the beach.')).toEqual(['a', 'photo', 'of', 'a', 'red', 'circle', ',', 'on', 'the', 'beach', '.']);
    expect(tok.tokenize("the bird's ring: 12")).toEqual(['the', 'bird', "'s", 'ring', ':', '1', '2']);
    expect(tok.tokenize('')).toEqual([]);
  });

  it('adds start and end tokens and pads to model_max_length with the end token', () => {
    const tok = new CLIPTokenizer({ model_max_length: 10 });
    const ids = tok.encode('a photo of a red circle', { padding: 'max_length', truncation: true });
    const words = tok.convert_tokens_to_ids(['a', 'photo', 'of', 'a', 'red', 'circle']);
    expect(ids).toEqual([tok.bos_token_id, ...words, tok.eos_token_id, tok.eos_token_id, tok.eos_token_id]);
    expect(tok.pad_token_id).toBe(tok.eos_token_id);
    expect(tok.encode('a photo')).toEqual([tok.bos_token_id, ...tok.convert_tokens_to_ids(['a', 'photo']), tok.eos_token_id]);
    expect(tok.encode('a photo', { add_special_tokens: false })).toEqual(tok.convert_tokens_to_ids(['a', 'photo']));
  });

  it('truncation keeps the start token first and puts the end token last', () => {
    const tok = new CLIPTokenizer({ model_max_length: 5 });
    const ids = tok.encode('one two three four five six', { padding: 'max_length', truncation: true });
    expect(ids).toEqual([tok.bos_token_id, ...tok.convert_tokens_to_ids(['one', 'two', 'three']), tok.eos_token_id]);
    // without truncation the sequence is longer than max_length, as in transformers
    expect(tok.encode('one two three four five six', { padding: 'max_length' })).toHaveLength(8);
    expect(tok.encode('one two three', { truncation: true, max_length: 3 })).toEqual([tok.bos_token_id, tok.convert_tokens_to_ids('one'), tok.eos_token_id]);
    expect(() => tok.encode('one', { truncation: true, max_length: 1 })).toThrow(/no room/);
  });

  it('can use a dedicated pad token (SD 2.x pads with "!", id 0)', () => {
    const tok = new CLIPTokenizer({ model_max_length: 6, pad_token: '!' });
    expect(tok.pad_token_id).toBe(0);
    expect(tok.encode('a cat', { padding: 'max_length' })).toEqual([tok.bos_token_id, ...tok.convert_tokens_to_ids(['a', 'cat']), tok.eos_token_id, 0, 0]);
    expect(() => new CLIPTokenizer({ pad_token: '<|pad|>' })).toThrow(/pad_token "<\|pad\|>" is not in the vocabulary/);
  });

  it('batch_encode pads to the longest or to max_length with an attention mask', () => {
    const tok = new CLIPTokenizer({ model_max_length: 6 });
    const e = tok.batch_encode(['a cat', 'a red cat'], { padding: 'longest' });
    expect(e.input_ids.map((r) => r.length)).toEqual([5, 5]);
    expect(e.attention_mask).toEqual([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]);
    const m = tok.batch_encode(['a cat'], { padding: 'max_length' });
    expect(m.input_ids[0]).toHaveLength(6);
    expect(m.attention_mask[0]).toEqual([1, 1, 1, 1, 0, 0]);
  });

  it('maps unknown words to the unk id, reports them, or refuses them', () => {
    const tok = new CLIPTokenizer();
    expect(tok.has_token('zebra')).toBe(false);
    expect(tok.has_token('creature')).toBe(true);
    expect(tok.convert_tokens_to_ids('zebra')).toBe(tok.unk_token_id);
    expect(tok.unknown_words('a Zebra and a zebra next to a yak')).toEqual(['zebra', 'yak']);
    expect(tok.encode('a zebra')[2]).toBe(tok.unk_token_id);
    expect(() => tok.encode('a zebra', { on_unknown: 'error' })).toThrow(/not in the tokenizer's vocabulary: "zebra"/);
  });

  it('add_tokens returns how many were new and gives them the next ids', () => {
    const tok = new CLIPTokenizer();
    const base = tok.length;
    expect(tok.add_tokens(['<asset0>', '<asset1>'])).toBe(2);
    expect(tok.add_tokens(['<asset1>', '<asset2>', '<asset2>', 'circle', '<|endoftext|>'])).toBe(1);
    expect(tok.add_tokens('<asset0>')).toBe(0);
    expect(tok.length).toBe(base + 3);
    expect(tok.vocab_size).toBe(base);
    expect(tok.convert_tokens_to_ids(['<asset0>', '<asset1>', '<asset2>'])).toEqual([base, base + 1, base + 2]);
    expect(tok.get_added_vocab()).toEqual({ '<asset0>': base, '<asset1>': base + 1, '<asset2>': base + 2 });
    expect(() => tok.add_tokens([''])).toThrow(/non-empty/);
  });

  it('matches added tokens whole before splitting, longest first and case-sensitively', () => {
    const tok = new CLIPTokenizer();
    tok.add_tokens(['<asset1>', '<asset10>']);
    expect(tok.tokenize('a photo of <asset1> and <asset10>,<asset1>x')).toEqual(['a', 'photo', 'of', '<asset1>', 'and', '<asset10>', ',', '<asset1>', 'x']);
    expect(tok.tokenize('<ASSET1>')).toEqual(['<', 'asset', '1', '>']);
    expect(tok.tokenize('<|startoftext|>a')).toEqual(['<|startoftext|>', 'a']);
  });

  it('decodes, dropping special tokens when asked', () => {
    const tok = new CLIPTokenizer({ model_max_length: 12 });
    tok.add_tokens('<asset0>');
    const ids = tok.encode('A photo of <asset0>, at the beach.', { padding: 'max_length', truncation: true });
    expect(tok.decode(ids, { skip_special_tokens: true })).toBe('a photo of <asset0>, at the beach.');
    expect(tok.decode(ids.slice(0, 4))).toBe('<|startoftext|> a photo of');
    expect(tok.decode(tok.encode("the bird's ring"), { skip_special_tokens: true })).toBe("the bird's ring");
    expect(tok.decode([1, 2], { clean_up_tokenization_spaces: false })).toBe(`${tok.convert_ids_to_tokens(1)} ${tok.convert_ids_to_tokens(2)}`);
    expect(() => tok.decode([tok.length])).toThrow(/out of range/);
    expect(() => tok.convert_ids_to_tokens(-1)).toThrow(/out of range/);
  });

  it('round trips any text of vocabulary words and added tokens (property)', () => {
    const tok = new CLIPTokenizer({ model_max_length: 40 });
    tok.add_tokens(['<asset0>', '<asset1>', '<asset2>']);
    const word = fc.constantFrom(...WORDS, '<asset0>', '<asset1>', '<asset2>');
    fc.assert(
      fc.property(fc.array(word, { minLength: 0, maxLength: 38 }), (words) => {
        const text = words.join(' ');
        const ids = tok.encode(text, { padding: 'max_length', truncation: true, on_unknown: 'error' });
        expect(ids).toHaveLength(40);
        expect(ids[0]).toBe(tok.bos_token_id);
        expect(ids[words.length + 1]).toBe(tok.eos_token_id);
        expect(tok.decode(ids, { skip_special_tokens: true })).toBe(text);
        expect(tok.convert_ids_to_tokens(ids.slice(1, words.length + 1))).toEqual(words);
      }),
      { numRuns: 200 },
    );
  });
});

describe('CLIPTokenizer save/load', () => {
  it('writes transformers-named JSON files and reads them back with the added tokens', () => {
    const tok = new CLIPTokenizer({ model_max_length: 16 });
    tok.add_tokens(['<asset0>', '<asset1>']);
    const dir = freshDir();
    tok.save_pretrained(dir);
    expect(readdirSync(dir).sort()).toEqual(['added_tokens.json', 'special_tokens_map.json', 'tokenizer_config.json', 'vocab.json']);
    const added = JSON.parse(readFileSync(join(dir, 'added_tokens.json'), 'utf8')) as Record<string, number>;
    expect(added).toEqual({ '<asset0>': tok.vocab_size, '<asset1>': tok.vocab_size + 1 });
    const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ tokenizer_class: 'CLIPTokenizer', model_max_length: 16, bos_token: '<|startoftext|>', eos_token: '<|endoftext|>', pad_token: '<|endoftext|>', unk_token: '<|unk|>' });
    const vocab = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
    expect(Object.keys(vocab)).toHaveLength(tok.vocab_size);

    const back = CLIPTokenizer.from_pretrained(dir);
    expect(back.get_vocab()).toEqual(tok.get_vocab());
    expect(back.get_added_vocab()).toEqual(tok.get_added_vocab());
    expect(back.model_max_length).toBe(16);
    const text = 'a photo of <asset1> and <asset0> at the beach';
    expect(back.encode(text, { padding: 'max_length', truncation: true })).toEqual(tok.encode(text, { padding: 'max_length', truncation: true }));
    // adding after a reload continues the ids
    expect(back.add_tokens('<asset2>')).toBe(1);
    expect(back.convert_tokens_to_ids('<asset2>')).toBe(tok.length);
  });

  it('loads a folder without added_tokens.json and names missing or corrupt files', () => {
    const dir = freshDir();
    new CLIPTokenizer().save_pretrained(dir);
    rmSync(join(dir, 'added_tokens.json'));
    expect(CLIPTokenizer.from_pretrained(dir).length).toBe(new CLIPTokenizer().length);
    writeFileSync(join(dir, 'tokenizer_config.json'), '{"model_max_length": ');
    expect(() => CLIPTokenizer.from_pretrained(dir)).toThrow(/tokenizer config .*tokenizer_config\.json is not valid JSON/);
    rmSync(join(dir, 'vocab.json'));
    expect(() => CLIPTokenizer.from_pretrained(dir)).toThrow(/tokenizer vocabulary not found: .*vocab\.json/);
  });

  it('rejects added-token ids that do not continue the vocabulary', () => {
    const dir = freshDir();
    const tok = new CLIPTokenizer();
    tok.add_tokens('<asset0>');
    tok.save_pretrained(dir);
    writeFileSync(join(dir, 'added_tokens.json'), JSON.stringify({ '<asset0>': tok.vocab_size + 1 }));
    expect(() => CLIPTokenizer.from_pretrained(dir)).toThrow(/added ids must run on from the vocabulary size/);
    expect(() => new CLIPTokenizer({ vocab: { a: 0, b: 2 } })).toThrow(/ids must be 0\.\.1; 1 is missing/);
  });
});
