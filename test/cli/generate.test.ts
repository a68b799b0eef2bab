// `bas generate` on a model trained by `bas train` (tiny model, a few steps): the image row and the
// attention map are written, sampling is seeded, and bad input (an unknown placeholder, a model
// folder that is missing or does not match its config) is one error line with nothing written.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { readImage } from '../../bas/io/image.js';
import { load_file, save_file } from '../../nn/safetensors.js';
import { tempRoot, trainArgv, writeScene, writeTinyModel } from '../helpers/tiny_model.js';
import { captureConsoleEachTest } from '../helpers/console_capture.js';

const tmp = tempRoot('bas-generate');
let trained = '';
beforeAll(async () => {
  const quiet = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  trained = tmp.fresh('trained');
  const code = await main(['train', ...trainArgv(writeTinyModel(tmp.fresh('base')), writeScene(tmp.fresh('scene')), trained, ['--phase1_train_steps', '2', '--phase2_train_steps', '2'])]);
  quiet.mockRestore();
  expect(code).toBe(0);
});
afterAll(() => tmp.cleanup());

const { errors, logs } = captureConsoleEachTest();

const generate = (modelPath: string, prompt: string, out: string, extra: readonly string[] = []): Promise<number> =>
  main(['generate', '--model_path', modelPath, '--prompt', prompt, '--output_path', out, '--num_inference_steps', '3', ...extra]);

describe('bas generate', () => {
  it('samples a row of images and the attention map of the prompt with the learned token', async () => {
    const dir = tmp.fresh('gen');
    const out = join(dir, 'sub', 'img.png');
    const attn = join(dir, 'attn.png');
    const code = await generate(trained, 'a photo of <asset1> at the beach', out, ['--num_images', '2', '--attention_map_path', attn, '--seed', '3']);
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    // two 8x8 samples side by side
    const img = readImage(out);
    expect([img.width, img.height]).toEqual([16, 8]);
    // the two samples start from different noise
    const left = [...Array(8).keys()].flatMap((y) => [...img.rgba.subarray(y * 64, y * 64 + 32)]);
    const right = [...Array(8).keys()].flatMap((y) => [...img.rgba.subarray(y * 64 + 32, y * 64 + 64)]);
    expect(left).not.toEqual(right);
    // one 128-px tile per prompt token (start and end dropped): a photo of <asset1> at the beach
    const map = readImage(attn);
    expect(map.height).toBeGreaterThan(128);
    expect(map.width).toBeGreaterThanOrEqual(7 * 128);
    expect(map.width).toBeLessThan(8 * 128);
    expect(logs).toContain(`wrote ${attn}`);
    expect(logs.some((l) => l.startsWith(`wrote ${out} (2 image(s) 8x8, 3 DDIM steps, guidance 7.5,`))).toBe(true);

    // seeded: the same seed gives the same bytes, another seed other pixels
    const again = join(dir, 'again.png');
    expect(await generate(trained, 'a photo of <asset1> at the beach', again, ['--num_images', '2', '--seed', '3'])).toBe(0);
    expect(readFileSync(again).equals(readFileSync(out))).toBe(true);
    const other = join(dir, 'other.png');
    expect(await generate(trained, 'a photo of <asset1> at the beach', other, ['--num_images', '2', '--seed', '4'])).toBe(0);
    expect(readFileSync(other).equals(readFileSync(out))).toBe(false);
  });

  it('rejects a placeholder the model does not have, naming it and the ones it has', async () => {
    const dir = tmp.fresh('gen');
    mkdirSync(dir);
    const code = await generate(trained, 'a photo of <asset0> and <asset7>', join(dir, 'x.png'), ['--attention_map_path', join(dir, 'a.png')]);
    expect(code).toBe(2);
    expect(errors).toEqual([`bas generate: error: the prompt uses <asset7>, which the model at ${trained} does not have (it has: <asset0>, <asset1>, <asset2>)`]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('rejects a missing model folder and one whose weights do not match its config', async () => {
    const dir = tmp.fresh('gen');
    mkdirSync(dir);
    const missing = join(tmp.root, 'nowhere');
    expect(await generate(missing, 'a photo', join(dir, 'x.png'))).toBe(2);
    expect(errors).toEqual([`bas generate: error: --model_path ${missing} is not a model folder (no model_index.json)`]);

    errors.length = 0;
    const broken = writeTinyModel(tmp.fresh('broken'));
    const file = join(broken, 'text_encoder', 'model.safetensors');
    const sd = load_file(file);
    delete sd['text_model.final_layer_norm.bias'];
    save_file(sd, file);
    expect(await generate(broken, 'a photo', join(dir, 'x.png'))).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).not.toContain('\n');
    expect(errors[0]).toContain(`bas generate: error: cannot load the model at ${broken}`);
    expect(errors[0]).toContain('text_model.final_layer_norm.bias');
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(join(dir, 'x.png'))).toBe(false);
  });
});
