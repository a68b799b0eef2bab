// --center_crop: a non-square image and its masks cropped to the centre square before the resize,
// as diffusers' DreamBooth does, so nothing is stretched; without it the image is stretched, with a
// notice that says so. Loading a wide or tall folder with the crop must give exactly what loading
// its hand-cropped centre gives.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator } from '../../core/index.js';
import { centerSquare, cropRgba } from '../../bas/io/crop.js';
import { loadInstanceFolder, readImage, writePng } from '../../bas/io/index.js';
import { tempRoot } from '../helpers/tiny_model.js';

const tmp = tempRoot('bas-crop');
afterAll(() => tmp.cleanup());

/** A folder with a noisy RGB image of w x h and masks of the given boxes [y0, y1) x [x0, x1). */
function folder(w: number, h: number, boxes: readonly [number, number, number, number][], seed = 0): string {
  const d = tmp.fresh('scene');
  mkdirSync(d);
  const g = new Generator(seed);
  writePng(join(d, 'img.png'), { width: w, height: h, rgb: Uint8Array.from({ length: w * h * 3 }, () => g.integer(0, 256)) });
  boxes.forEach(([y0, y1, x0, x1], i) => {
    const gray = new Uint8Array(w * h);
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) gray[y * w + x] = 255;
    writePng(join(d, `mask${i}.png`), { width: w, height: h, gray });
  });
  return d;
}

/** The same folder with its image and masks cropped by hand to [top, top + side) x [left, left + side). */
function cropped(d: string, masks: number, left: number, top: number, side: number): string {
  const out = tmp.fresh('crop');
  mkdirSync(out);
  const names = ['img.png', ...Array.from({ length: masks }, (_, i) => `mask${i}.png`)];
  for (const n of names) {
    const c = cropRgba(readImage(join(d, n)), { left, top, side });
    writePng(join(out, n), { width: side, height: side, rgba: c.rgba });
  }
  return out;
}

function load(d: string, resolution: number, centerCrop: boolean): { f: ReturnType<typeof loadInstanceFolder>; notes: string[] } {
  const notes: string[] = [];
  const f = loadInstanceFolder(d, { resolution, centerCrop, notice: (m) => void notes.push(m) });
  return { f, notes };
}

const bytes = (f: ReturnType<typeof loadInstanceFolder>): number[][] => [f.image, ...f.masks].map((t) => Array.from(t.data));

describe('centerSquare', () => {
  it('keeps the shorter side whole and trims the longer one equally, the odd pixel from the far end', () => {
    expect(centerSquare(12, 8)).toEqual({ left: 2, top: 0, side: 8 });
    expect(centerSquare(8, 13)).toEqual({ left: 0, top: 2, side: 8 });
    expect(centerSquare(5, 5)).toEqual({ left: 0, top: 0, side: 5 });
    expect(() => cropRgba({ width: 4, height: 4, rgba: new Uint8Array(64) }, { left: 1, top: 0, side: 4 })).toThrow('crop 4x4 at (1, 0) is outside a 4x4 image');
  });
});

describe('loadInstanceFolder with centerCrop', () => {
  it('a wide image: the centre square and its masks, exactly as if cropped by hand, with one notice', () => {
    const d = folder(12, 8, [[0, 8, 1, 6], [2, 7, 6, 11]]);
    const { f, notes } = load(d, 8, true);
    expect(notes).toEqual(['note: img.png is 12x8: cropped to its centre 8x8 square (center crop; its masks too)']);
    expect(bytes(f)).toEqual(bytes(load(cropped(d, 2, 2, 0, 8), 8, false).f));
    // without the crop the same folder is stretched, and says how to crop instead
    const stretched = load(d, 8, false);
    expect(stretched.notes).toEqual(['note: img.png is 12x8: resized to 8x8 (stretched to a square, not cropped: --center_crop crops the centre square instead; its masks too)']);
    expect(bytes(stretched.f)).not.toEqual(bytes(f));
  });

  it('a tall image cropped, then resized to a smaller working square', () => {
    const d = folder(8, 13, [[0, 13, 0, 4], [3, 10, 4, 8]], 1);
    const { f, notes } = load(d, 4, true);
    expect(notes).toEqual(['note: img.png is 8x13: cropped to its centre 8x8 square, resized to 4x4 (center crop; its masks too)']);
    expect(bytes(f)).toEqual(bytes(load(cropped(d, 2, 0, 2, 8), 4, false).f));
  });

  it('a square image is loaded as without the crop', () => {
    const d = folder(8, 8, [[0, 4, 0, 4]]);
    const [a, b] = [load(d, 8, true), load(d, 8, false)];
    expect(a.notes).toEqual(b.notes);
    expect(bytes(a.f)).toEqual(bytes(b.f));
  });

  it('a mask that lies outside the centre square is an error naming it and the crop', () => {
    const d = folder(12, 8, [[0, 8, 2, 10], [0, 8, 0, 2]]);
    expect(() => load(d, 8, true)).toThrow(`mask ${join(d, 'mask1.png')} marks 16 pixel(s) at 12x8, none left at 8x8 (the centre 8x8 square (center crop) resized): draw it larger or nearer the centre`);
  });
});
