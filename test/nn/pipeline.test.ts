import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator, randn, type DType, type Tensor } from '../../core/index.js';
import { CLIPTextModel } from '../../nn/clip/text_model.js';
import { textEncoderConfig, unetConfig } from '../../nn/configs.js';
import { from_pretrained, save_pretrained, type PipelineComponents } from '../../nn/pipeline.js';
import { load_file } from '../../nn/safetensors.js';
import { CLIPTokenizer } from '../../nn/tokenizer/index.js';
import { UNet2DConditionModel } from '../../nn/unet/unet_2d_condition.js';

const tmpRoot = mkdtempSync(join(tmpdir(), 'bas-pipe-'));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(tmpRoot, `p${n++}`);

// 13 words + unk, then start (14) and end (15): the tiny text encoder's 16-row vocabulary
const TINY_VOCAB = ['a', 'photo', 'of', 'and', 'at', 'the', 'beach', 'red', 'blue', 'circle', 'square', 'on', 'in', '<|unk|>', '<|startoftext|>', '<|endoftext|>'];
const SCHEDULER = { _class_name: 'DDIMScheduler', num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', clip_sample: false, set_alpha_to_one: false, steps_offset: 1, prediction_type: 'epsilon' };

function tinyPipeline(dtype: DType = 'float32', seed = 0): PipelineComponents<UNet2DConditionModel, CLIPTextModel> {
  const generator = new Generator(seed);
  const tokenizer = new CLIPTokenizer({ vocab: TINY_VOCAB, model_max_length: 8 });
  tokenizer.add_tokens(['<asset0>', '<asset1>']);
  const text_encoder = new CLIPTextModel(textEncoderConfig('tiny'), { dtype, generator });
  text_encoder.resize_token_embeddings(tokenizer.length, generator);
  const unet = new UNet2DConditionModel(unetConfig('tiny'), { dtype, generator });
  return { unet, text_encoder, tokenizer, scheduler_config: SCHEDULER };
}

const bytesOf = (t: Tensor): number[] => [...new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)];

function expectSameWeights(a: Record<string, Tensor>, b: Record<string, Tensor>): void {
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  for (const [k, t] of Object.entries(a)) {
    expect(b[k]!.shape, k).toEqual(t.shape);
    expect(b[k]!.dtype, k).toBe(t.dtype);
    expect(bytesOf(b[k]!), k).toEqual(bytesOf(t));
  }
}

describe('save_pretrained / from_pretrained', () => {
  it('writes diffusers\' layout', () => {
    const dir = freshDir();
    const parts = tinyPipeline();
    save_pretrained(dir, parts);
    const files = (d: string, p = ''): string[] =>
      readdirSync(join(d, p), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(d, join(p, e.name)) : [join(p, e.name)]));
    expect(files(dir).sort()).toEqual(
      [
        'model_index.json',
        'scheduler/scheduler_config.json',
        'text_encoder/config.json',
        'text_encoder/model.safetensors',
        'tokenizer/added_tokens.json',
        'tokenizer/special_tokens_map.json',
        'tokenizer/tokenizer_config.json',
        'tokenizer/vocab.json',
        'unet/config.json',
        'unet/diffusion_pytorch_model.safetensors',
      ].map((p) => join(...p.split('/'))).sort(),
    );
    const json = (p: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, p), 'utf8')) as Record<string, unknown>;
    expect(json('model_index.json')).toEqual({
      _class_name: 'StableDiffusionPipeline',
      _diffusers_version: expect.any(String),
      scheduler: ['diffusers', 'DDIMScheduler'],
      text_encoder: ['transformers', 'CLIPTextModel'],
      tokenizer: ['transformers', 'CLIPTokenizer'],
      unet: ['diffusers', 'UNet2DConditionModel'],
    });
    expect(json('unet/config.json')).toMatchObject({ _class_name: 'UNet2DConditionModel', block_out_channels: [4, 8], attention_head_dim: 2, cross_attention_dim: 8 });
    expect(json('text_encoder/config.json')).toMatchObject({ architectures: ['CLIPTextModel'], model_type: 'clip_text_model', vocab_size: 18, hidden_size: 8, torch_dtype: 'float32' });
    expect(json('scheduler/scheduler_config.json')).toMatchObject({ ...SCHEDULER, _diffusers_version: expect.any(String) });
    // the weights files hold exactly the state dicts, bit for bit
    expectSameWeights(parts.unet.state_dict(), load_file(join(dir, 'unet', 'diffusion_pytorch_model.safetensors')));
    expectSameWeights(parts.text_encoder.state_dict(), load_file(join(dir, 'text_encoder', 'model.safetensors')));
    // nothing left next to the folder
    expect(readdirSync(dirname(dir)).filter((e) => e.includes('.tmp-'))).toEqual([]);
  });

  it('round trips: bit-identical weights, equal configs, added tokens, same outputs', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const dir = freshDir();
      const parts = tinyPipeline(dtype, 3);
      save_pretrained(dir, parts);
      const back = from_pretrained(dir);
      expect(back.unet.config).toEqual(parts.unet.config);
      expect(back.text_encoder.config).toEqual(parts.text_encoder.config);
      expectSameWeights(parts.unet.state_dict(), back.unet.state_dict());
      expectSameWeights(parts.text_encoder.state_dict(), back.text_encoder.state_dict());
      expect(back.tokenizer.get_added_vocab()).toEqual({ '<asset0>': 16, '<asset1>': 17 });
      expect(back.tokenizer.get_vocab()).toEqual(parts.tokenizer.get_vocab());
      expect(back.scheduler_config).toMatchObject(SCHEDULER);

      const ids = back.tokenizer.encode('a photo of <asset1> and <asset0>', { padding: 'max_length', truncation: true });
      expect(ids).toEqual([14, 0, 1, 2, 17, 3, 16, 15]);
      const h0 = parts.text_encoder.forward([ids]).last_hidden_state;
      const h1 = back.text_encoder.forward([ids]).last_hidden_state;
      expect(bytesOf(h1)).toEqual(bytesOf(h0));
      const g = new Generator(1);
      const x = randn([1, 3, 8, 8], { dtype, generator: g });
      const y0 = parts.unet.forward(x, 500, h0).sample;
      const y1 = back.unet.forward(x, 500, h1).sample;
      expect(bytesOf(y1)).toEqual(bytesOf(y0));
    }
  });

  it("the project's own conv_padding_mode: left out of unet/config.json when 'zeros' (diffusers' layout), written and read back when 'circular'", () => {
    const plain = freshDir();
    save_pretrained(plain, tinyPipeline());
    const key = (d: string): unknown => (JSON.parse(readFileSync(join(d, 'unet', 'config.json'), 'utf8')) as Record<string, unknown>)['conv_padding_mode'];
    expect(key(plain)).toBeUndefined();
    expect(from_pretrained(plain).unet.config.conv_padding_mode).toBe('zeros');
    const wrapped = freshDir();
    const parts = tinyPipeline();
    save_pretrained(wrapped, { ...parts, unet: new UNet2DConditionModel({ ...parts.unet.config, conv_padding_mode: 'circular' }) });
    expect(key(wrapped)).toBe('circular');
    expect(from_pretrained(wrapped).unet.conv_in.padding_mode).toBe('circular');
  });

  it('saving over an existing pipeline replaces it and keeps unrelated files', () => {
    const dir = freshDir();
    save_pretrained(dir, tinyPipeline('float32', 1));
    mkdirSync(join(dir, 'checkpoint-100'));
    writeFileSync(join(dir, 'checkpoint-100', 'keep.txt'), 'keep');
    const second = tinyPipeline('float32', 2);
    second.tokenizer.add_tokens('<asset2>');
    second.text_encoder.resize_token_embeddings(second.tokenizer.length, new Generator(5));
    save_pretrained(dir, second);
    expect(readFileSync(join(dir, 'checkpoint-100', 'keep.txt'), 'utf8')).toBe('keep');
    const back = from_pretrained(dir);
    expectSameWeights(second.unet.state_dict(), back.unet.state_dict());
    expectSameWeights(second.text_encoder.state_dict(), back.text_encoder.state_dict());
    expect(back.tokenizer.has_token('<asset2>')).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['checkpoint-100', 'model_index.json', 'scheduler', 'text_encoder', 'tokenizer', 'unet']);
    expect(readdirSync(dirname(dir)).filter((e) => e.includes('.tmp-'))).toEqual([]);
  });

  it('a failed save leaves no folder, or the old one untouched', () => {
    const bad = tinyPipeline();
    bad.tokenizer.add_tokens('<asset9>'); // 19 tokens, 18 embedding rows
    const dir = freshDir();
    expect(() => save_pretrained(dir, bad)).toThrow(/tokenizer has 19 tokens but the text encoder's embedding table only 18 rows/);
    expect(existsSync(dir)).toBe(false);
    save_pretrained(dir, tinyPipeline('float32', 4));
    const before = readFileSync(join(dir, 'unet', 'diffusion_pytorch_model.safetensors'));
    expect(() => save_pretrained(dir, bad)).toThrow(/embedding table/);
    expect(Buffer.compare(readFileSync(join(dir, 'unet', 'diffusion_pytorch_model.safetensors')), before)).toBe(0);
    expect(from_pretrained(dir).tokenizer.has_token('<asset9>')).toBe(false);
    expect(readdirSync(dirname(dir)).filter((e) => e.includes('.tmp-'))).toEqual([]);
  });

  it('names the missing or corrupt file', () => {
    const dir = freshDir();
    expect(() => from_pretrained(dir)).toThrow(/pipeline folder not found/);
    save_pretrained(dir, tinyPipeline());
    rmSync(join(dir, 'unet', 'diffusion_pytorch_model.safetensors'));
    expect(() => from_pretrained(dir)).toThrow(/unet weights not found: .*diffusion_pytorch_model\.safetensors/);

    save_pretrained(dir, tinyPipeline());
    writeFileSync(join(dir, 'text_encoder', 'config.json'), '{ not json');
    expect(() => from_pretrained(dir)).toThrow(/text encoder config .*config\.json is not valid JSON/);

    save_pretrained(dir, tinyPipeline());
    const cfg = JSON.parse(readFileSync(join(dir, 'unet', 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'unet', 'config.json'), JSON.stringify({ ...cfg, block_out_channels: [4, 16] }));
    expect(() => from_pretrained(dir)).toThrow(/diffusion_pytorch_model\.safetensors does not fit the unet of .*config\.json/);

    save_pretrained(dir, tinyPipeline());
    writeFileSync(join(dir, 'text_encoder', 'model.safetensors'), new Uint8Array(4));
    expect(() => from_pretrained(dir)).toThrow(/safetensors .*model\.safetensors: file is truncated/);

    save_pretrained(dir, tinyPipeline());
    rmSync(join(dir, 'model_index.json'));
    expect(() => from_pretrained(dir)).toThrow(/model_index\.json not found/);
  });
});

describe('save_pretrained checks', () => {
  it('refuses a tokenizer that pads past the text encoder positions', () => {
    const parts = tinyPipeline();
    const long = new CLIPTokenizer({ vocab: TINY_VOCAB, model_max_length: 9 });
    long.add_tokens(['<asset0>', '<asset1>']);
    expect(() => save_pretrained(freshDir(), { ...parts, tokenizer: long })).toThrow(/pads to 9 tokens but the text encoder has 8 positions/);
  });
});
