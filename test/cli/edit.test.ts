// `bas edit` on a model trained by `bas train` (tiny model, a few steps): the edit keeps the input
// image exactly outside the mask and redraws inside it, is seeded, and bad input (a mask of another
// size, an all-black mask, an unknown placeholder, an output type it cannot write, a missing file) is one error
// line with nothing written.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { readImage } from '../../bas/io/image.js';
import { writePng } from '../../bas/io/png.js';
import { captureConsoleEachTest } from '../helpers/console_capture.js';
import { tempRoot, trainArgv, writeScene, writeTinyModel } from '../helpers/tiny_model.js';

const tmp = tempRoot('bas-edit');
let trained = '';
let scene = '';
beforeAll(async () => {
  const quiet = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  trained = tmp.fresh('trained');
  scene = writeScene(tmp.fresh('scene'));
  const code = await main(['train', ...trainArgv(writeTinyModel(tmp.fresh('base')), scene, trained, ['--phase1_train_steps', '2', '--phase2_train_steps', '2'])]);
  quiet.mockRestore();
  expect(code).toBe(0);
});
afterAll(() => tmp.cleanup());

const { errors, logs } = captureConsoleEachTest();

const edit = (mask: string, out: string, extra: readonly string[] = [], prompt = 'a photo of <asset0>'): Promise<number> =>
  main(['edit', '--model_path', trained, '--init_image', join(scene, 'img.png'), '--mask', mask, '--prompt', prompt, '--output_path', out, '--num_inference_steps', '4', ...extra]);

describe('bas edit', () => {
  it('redraws inside the mask and keeps every pixel outside it', async () => {
    const dir = tmp.fresh('edit');
    const out = join(dir, 'sub', 'edit.png');
    // the blue rectangle's mask: rows 5-7, columns 1-6
    const code = await edit(join(scene, 'mask2.png'), out, ['--seed', '1']);
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    expect(logs.some((l) => l.startsWith(`wrote ${out} (1 edit(s) 8x8, 4 DDIM steps, strength 1, guidance 7.5,`))).toBe(true);
    const input = readImage(join(scene, 'img.png'));
    const mask = readImage(join(scene, 'mask2.png'));
    const got = readImage(out);
    let changedInside = 0;
    for (let i = 0; i < 64; i++) {
      const px = (img: { rgba: Uint8Array }): number[] => [...img.rgba.subarray(i * 4, i * 4 + 3)];
      if (mask.rgba[i * 4] === 0) expect(px(got), `pixel ${i}`).toEqual(px(input));
      else if (px(got).join() !== px(input).join()) changedInside++;
    }
    // an untrained-ish tiny model does not redraw the input by chance
    expect(changedInside).toBeGreaterThan(0);
    // seeded
    const again = join(dir, 'again.png');
    expect(await edit(join(scene, 'mask2.png'), again, ['--seed', '1'])).toBe(0);
    expect(readFileSync(again).equals(readFileSync(out))).toBe(true);
  });

  it('rejects bad input with one line naming the flag and writes nothing', async () => {
    const bad = tmp.fresh('bad');
    mkdirSync(bad);
    writePng(join(bad, 'small.png'), { width: 4, height: 4, gray: new Uint8Array(16).fill(255) });
    writePng(join(bad, 'black.png'), { width: 8, height: 8, gray: new Uint8Array(64) });
    const out = join(bad, 'out', 'x.png');
    const cases: [() => Promise<number>, string][] = [
      [() => edit(join(bad, 'small.png'), out), `--mask ${join(bad, 'small.png')} is 4x4 but --init_image ${join(scene, 'img.png')} is 8x8; they must match`],
      [() => edit(join(bad, 'black.png'), out), `--mask ${join(bad, 'black.png')} is all black: there is nowhere to draw (white marks where the prompt draws)`],
      [() => edit(join(bad, 'none.png'), out), `--mask ${join(bad, 'none.png')}: no such file`],
      [() => edit(join(scene, 'mask0.png'), out, [], 'a photo of <asset9>'), `the prompt uses <asset9>, which the model at ${trained} does not have (it has: <asset0>, <asset1>, <asset2>)`],
      [() => edit(join(scene, 'mask0.png'), join(bad, 'out', 'x.webp')), `--output_path ${join(bad, 'out', 'x.webp')}: unsupported image type ".webp" (want .png, .jpg or .jpeg)`],
      [() => edit(join(scene, 'mask0.png'), out, ['--strength', '0']), '--strength 0 must be in (0, 1]'],
      [() => edit(join(scene, 'mask0.png'), out, ['--strength', '0.1']), '--strength 0.1 with --num_inference_steps 4 runs no denoising step; raise either'],
    ];
    for (const [run, message] of cases) {
      errors.length = 0;
      expect(await run()).toBe(2);
      expect(errors).toEqual([`bas edit: error: ${message}`]);
    }
    expect(readdirSync(bad).sort()).toEqual(['black.png', 'small.png']);
  });
});
