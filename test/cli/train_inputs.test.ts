// `bas train` on the instance folders of issue 15, end to end: an all-black mask and a missing
// mask are one error line naming the file, with nothing written; a non-square image trains, with
// the one-line notice of its resize.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { writePng } from '../../bas/io/png.js';
import { cliSuite, expectRejected } from '../helpers/cli.js';
import { THREE_RECTS, trainArgv, writeScene } from '../helpers/tiny_model.js';

const suite = cliSuite('bas-train-inputs');
const { tmp, caseDir } = suite;

describe('bas train and its instance folder', () => {
  it('an all-black mask: one line naming the mask file, nothing written', async () => {
    const scene = writeScene(tmp.fresh('scene'));
    const mask = join(scene, 'mask1.png');
    writePng(mask, { width: 8, height: 8, gray: new Uint8Array(64) });
    const { parent, out } = caseDir();
    await expectRejected(suite.out(), ['train', ...trainArgv(suite.model(), scene, out)], [`mask ${mask} is empty (all black)`], [parent, scene]);
  });

  it('a missing mask: the error names mask2.png, not only the count', async () => {
    const scene = writeScene(tmp.fresh('scene'), THREE_RECTS.slice(0, 2));
    const { parent, out } = caseDir();
    await expectRejected(suite.out(), ['train', ...trainArgv(suite.model(), scene, out)], ['--num_of_assets is 3 but', 'holds 2 mask(s): missing mask2.png'], [parent, scene]);
  });

  it('too many masks: the error names the ones not used', async () => {
    const scene = writeScene(tmp.fresh('scene'));
    const { parent, out } = caseDir();
    await expectRejected(suite.out(), ['train', ...trainArgv(suite.model(), scene, out, ['--num_of_assets', '2', '--initializer_tokens', 'red', 'green'])], ['holds 3 mask(s): mask2.png not used (remove them or raise --num_of_assets)'], [parent, scene]);
  });

  /** A 24x16 image with three 8-pixel-wide vertical masks, side by side. */
  const wideScene = (): string => {
    const scene = writeScene(tmp.fresh('scene'), THREE_RECTS, 16);
    const rgb = new Uint8Array(24 * 16 * 3).fill(100);
    writePng(join(scene, 'img.png'), { width: 24, height: 16, rgb });
    for (let i = 0; i < 3; i++) {
      const gray = new Uint8Array(24 * 16);
      for (let y = 0; y < 16; y++) gray.fill(255, y * 24 + i * 8, y * 24 + i * 8 + 8);
      writePng(join(scene, `mask${i}.png`), { width: 24, height: 16, gray });
    }
    return scene;
  };

  it('a non-square image trains, with a one-line notice of the resize', async () => {
    const scene = wideScene();
    const { out } = caseDir();
    expect(await main(['train', ...trainArgv(suite.model(), scene, out, ['--phase1_train_steps', '1', '--phase2_train_steps', '0'])])).toBe(0);
    expect(suite.out().errors).toEqual([]);
    expect(suite.out().logs).toContain('note: img.png is 24x16: resized to 8x8 (stretched to a square, not cropped: --center_crop crops the centre square instead; its masks too)');
    expect(existsSync(join(out, 'model_index.json'))).toBe(true);
  });

  it('--center_crop: the same image cropped to its centre square, with one notice; a mask left outside it is an error', async () => {
    const scene = wideScene();
    const { out } = caseDir();
    expect(await main(['train', ...trainArgv(suite.model(), scene, out, ['--phase1_train_steps', '1', '--phase2_train_steps', '0', '--center_crop'])])).toBe(0);
    expect(suite.out().errors).toEqual([]);
    expect(suite.out().logs.filter((l) => l.startsWith('note: img.png'))).toEqual(['note: img.png is 24x16: cropped to its centre 16x16 square, resized to 8x8 (center crop; its masks too)']);
    // mask0 marks columns 0-3 only: all of it falls outside the centre square (columns 4-19)
    const gray = new Uint8Array(24 * 16);
    for (let y = 0; y < 16; y++) gray.fill(255, y * 24, y * 24 + 4);
    writePng(join(scene, 'mask0.png'), { width: 24, height: 16, gray });
    const c = caseDir();
    await expectRejected(suite.out(), ['train', ...trainArgv(suite.model(), scene, c.out, ['--center_crop'])], [`mask ${join(scene, 'mask0.png')} marks 64 pixel(s) at 24x16`, 'center crop'], [c.parent, scene]);
  });
});
