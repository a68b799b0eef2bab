// Instance folders as users make them (issue 15): masks that are empty, full, soft, drawn in the
// alpha or green channel, greyscale, overlapping, too small to survive the resize; images with
// transparency, greyscale, non-square or large; unrelated files. Errors name the file; legitimate
// input is loaded, with one notice line per thing done.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { loadInstanceFolder, writePng, type InstanceFolder } from '../../bas/io/index.js';
import { tempRoot } from '../helpers/tiny_model.js';

const tmp = tempRoot('bas-instance');
afterAll(() => tmp.cleanup());

/** A square of side `n` with value 255 in [y0, y1) x [x0, x1), 0 elsewhere. */
function block(n: number, y0: number, y1: number, x0: number, x1: number, w = n): Uint8Array {
  const g = new Uint8Array(w * n);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) g[y * w + x] = 255;
  return g;
}

/** A folder with an RGB img.png of w x h and the given grey masks (all of w x h). */
function folder(masks: readonly Uint8Array[], w = 8, h = 8): string {
  const d = tmp.fresh('scene');
  mkdirSync(d);
  writePng(join(d, 'img.png'), { width: w, height: h, rgb: new Uint8Array(w * h * 3).fill(90) });
  masks.forEach((gray, i) => writePng(join(d, `mask${i}.png`), { width: w, height: h, gray }));
  return d;
}

function load(d: string, resolution = 8, numOfAssets?: number): { f: InstanceFolder; notes: string[] } {
  const notes: string[] = [];
  const f = loadInstanceFolder(d, { resolution, ...(numOfAssets === undefined ? {} : { numOfAssets }), notice: (m) => void notes.push(m) });
  return { f, notes };
}

const LEFT = block(8, 0, 8, 0, 4);
const RIGHT = block(8, 0, 8, 4, 8);

describe('masks', () => {
  it('an all-black mask is an error naming it', () => {
    const d = folder([LEFT, new Uint8Array(64)]);
    expect(() => load(d)).toThrow(`mask ${join(d, 'mask1.png')} is empty (all black): it marks no pixel of its concept`);
  });

  it('a mask too small to survive the resize is an error naming it', () => {
    const d = folder([block(64, 0, 32, 0, 32), block(64, 3, 4, 3, 4)], 64, 64);
    expect(() => load(d, 8)).toThrow(`mask ${join(d, 'mask1.png')} marks 1 pixel(s) at 64x64, none left at 8x8 (nearest resize): draw it larger`);
  });

  it('a missing or an extra mask is named, not just counted', () => {
    expect(() => load(folder([LEFT, RIGHT]), 8, 3)).toThrow(/numOfAssets is 3 but .* holds 2 mask\(s\): missing mask2\.png$/);
    expect(() => load(folder([LEFT]), 8, 3)).toThrow(/holds 1 mask\(s\): missing mask1\.png, mask2\.png$/);
    expect(() => load(folder([LEFT, RIGHT, LEFT]), 8, 2)).toThrow(/numOfAssets is 2 but .* holds 3 mask\(s\): mask2\.png not used/);
  });

  it('an all-white mask and a soft one: loaded as they are, with a notice each', () => {
    const soft = new Uint8Array(64).map((_, i) => (i % 8) * 32);
    const { f, notes } = load(folder([new Uint8Array(64).fill(255), soft]));
    expect(notes).toEqual([
      'note: mask0.png covers the whole image (all white)',
      'note: mask1.png is soft (87.5% of its pixels between 0 and 255): its values / 255 weigh the loss, as the original reads them',
      'note: mask0.png and mask1.png overlap in 56 pixel(s) (87.5% of the image): both concepts are supervised there',
    ]);
    expect(Array.from(f.masks[1]!.data.slice(0, 8))).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((k) => Math.fround((k * 32) / 255)));
  });

  it('a mask drawn in the alpha channel or in green is read from that channel; a greyscale one as is', () => {
    const d = folder([LEFT, RIGHT]);
    // RGBA: RGB all black, the concept in alpha
    const rgba = new Uint8Array(64 * 4);
    for (let i = 0; i < 64; i++) rgba[i * 4 + 3] = LEFT[i]!;
    writePng(join(d, 'mask0.png'), { width: 8, height: 8, rgba });
    // RGB: green on black
    const rgb = new Uint8Array(64 * 3);
    for (let i = 0; i < 64; i++) rgb[i * 3 + 1] = RIGHT[i]!;
    writePng(join(d, 'mask1.png'), { width: 8, height: 8, rgb });
    const { f, notes } = load(d);
    expect(notes).toEqual([
      'note: mask0.png has a flat red channel: its alpha channel is read as the mask',
      'note: mask1.png has a flat red channel: its green channel is read as the mask',
    ]);
    expect(Array.from(f.masks[0]!.data)).toEqual(Array.from(LEFT, (v) => v / 255));
    expect(Array.from(f.masks[1]!.data)).toEqual(Array.from(RIGHT, (v) => v / 255));
    // greyscale masks (the fixtures above) give no notice at all
    expect(load(folder([LEFT, RIGHT])).notes).toEqual([]);
  });

  it('overlapping masks: a notice with the pixels in common', () => {
    const { notes } = load(folder([block(8, 0, 8, 0, 5), block(8, 0, 8, 3, 8)]));
    expect(notes).toEqual(['note: mask0.png and mask1.png overlap in 16 pixel(s) (25.0% of the image): both concepts are supervised there']);
  });
});

describe('images', () => {
  it('non-square and large images are resized to the square working size, with a notice', () => {
    const { notes } = load(folder([block(8, 0, 8, 0, 6, 12), block(8, 0, 8, 6, 12, 12)], 12, 8));
    expect(notes).toEqual(['note: img.png is 12x8: resized to 8x8 (stretched to a square, not cropped: --center_crop crops the centre square instead; its masks too)']);
    const big = load(folder([block(64, 0, 64, 0, 32), block(64, 0, 64, 32, 64)], 64, 64), 8);
    expect(big.notes).toEqual(['note: img.png is 64x64: resized to 8x8']);
  });

  it('a 4000x3000 photo is shrunk to the working size, with a notice', () => {
    const [w, h] = [4000, 3000];
    const d = tmp.fresh('big');
    mkdirSync(d);
    // a PNG: jpeg-js takes ~4 s here to decode 12 megapixels, pngjs well under 1
    writePng(join(d, 'img.png'), { width: w, height: h, rgb: new Uint8Array(w * h * 3).fill(200) });
    const gray = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) gray.fill(255, y * w, y * w + w / 2);
    writePng(join(d, 'mask0.png'), { width: w, height: h, gray });
    const { f, notes } = load(d, 8);
    expect(notes).toEqual(['note: img.png is 4000x3000: resized to 8x8 (stretched to a square, not cropped: --center_crop crops the centre square instead; its masks too)']);
    expect(Array.from(f.masks[0]!.data.slice(0, 8))).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
  });

  it('an RGBA image with transparency: alpha dropped, with a notice; a greyscale one loads as grey RGB', () => {
    const d = folder([LEFT, RIGHT]);
    const rgba = new Uint8Array(64 * 4).fill(120);
    for (let i = 0; i < 16; i++) rgba[i * 4 + 3] = 255;
    writePng(join(d, 'img.png'), { width: 8, height: 8, rgba });
    expect(load(d).notes).toEqual(['note: img.png has transparency (75.0% of its pixels): alpha dropped, colours used as stored']);

    writePng(join(d, 'img.png'), { width: 8, height: 8, gray: new Uint8Array(64).fill(51) });
    const { f, notes } = load(d);
    expect(notes).toEqual([]);
    expect(new Set(f.image.data)).toEqual(new Set([Math.fround(51 / 127.5 - 1)]));
  });

  it('a truncated image and a file that is not an image are errors naming the file', () => {
    const d = folder([LEFT, RIGHT]);
    writeFileSync(join(d, 'img.png'), 'hello, not an image');
    expect(() => load(d)).toThrow(`corrupt PNG: ${join(d, 'img.png')}`);
    const d2 = folder([LEFT, RIGHT]);
    writeFileSync(join(d2, 'img.jpg'), 'plain text');
    expect(() => load(d2)).toThrow(`corrupt JPEG: ${join(d2, 'img.jpg')}`);
  });

  it('a folder with unrelated files: they are ignored, named in one notice', () => {
    const d = folder([LEFT, RIGHT]);
    writeFileSync(join(d, 'notes.txt'), 'x');
    writeFileSync(join(d, 'mask2.jpg'), 'x');
    writeFileSync(join(d, 'scene.json'), '{}');
    writeFileSync(join(d, '.DS_Store'), '');
    writePng(join(d, 'img.jpg.png'), { width: 1, height: 1, gray: new Uint8Array(1) });
    const { f, notes } = load(d);
    expect(f.masks).toHaveLength(2);
    expect(notes).toEqual([`note: ignored in ${d}: img.jpg.png, mask2.jpg, notes.txt (an instance folder holds img.jpg or img.png and mask0.png ...)`]);
  });

  it('both img.jpg and img.png: img.jpg is used (the original\'s name), img.png named as ignored', () => {
    const d = folder([LEFT, RIGHT]);
    writeFileSync(join(d, 'img.jpg'), jpeg.encode({ data: new Uint8Array(64 * 4).fill(255), width: 8, height: 8 }, 90).data);
    const { f, notes } = load(d);
    expect(f.paths.image).toBe(join(d, 'img.jpg'));
    expect(notes).toEqual([`note: ignored in ${d}: img.png (an instance folder holds img.jpg or img.png and mask0.png ...)`]);
  });
});
