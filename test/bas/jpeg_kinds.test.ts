// JPEG kinds jpeg-js cannot write (issue 15): progressive, greyscale and CMYK files made once by
// libjpeg's cjpeg and ImageMagick (test/fixtures/README.md). Each decodes to the picture it was
// made from; a CMYK one is converted to RGB and an instance folder says so in one notice.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { jpegComponents, readImage } from '../../bas/io/image.js';
import { loadInstanceFolder, writePng } from '../../bas/io/index.js';
import { tempRoot } from '../helpers/tiny_model.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'jpeg');
const fixture = (name: string): string => join(FIXTURES, name);

/** The quadrants of the fixtures' source picture (16x16): top left, top right, bottom left, bottom right. */
const QUADRANTS: readonly [number, number, number][] = [
  [220, 40, 40],
  [40, 200, 60],
  [50, 70, 220],
  [230, 210, 40],
];
/** A pixel well inside each quadrant. */
const CENTRES: readonly [number, number][] = [
  [3, 3],
  [12, 3],
  [3, 12],
  [12, 12],
];
/** Quality 95 on flat quadrants: a few levels at most away from the source. */
const TOLERANCE = 8;

const tmp = tempRoot('bas-jpeg-kinds');
afterAll(() => tmp.cleanup());

function rgbAt(path: string, x: number, y: number): number[] {
  const img = readImage(path);
  expect([img.width, img.height]).toEqual([16, 16]);
  const i = (y * img.width + x) * 4;
  return Array.from(img.rgba.subarray(i, i + 4));
}

function expectClose(got: readonly number[], want: readonly number[]): void {
  want.forEach((w, c) => expect(Math.abs(got[c]! - w), `channel ${c}: got ${got.join(',')}, want ${want.join(',')}`).toBeLessThanOrEqual(TOLERANCE));
}

/** Marker `code` (0xc2: progressive frame, 0xee: Adobe APP14) appears in the file's bytes. */
const hasMarker = (bytes: Uint8Array, code: number): boolean => bytes.some((b, i) => b === 0xff && bytes[i + 1] === code);

describe('the fixtures are what they claim', () => {
  it('progressive has an SOF2 frame; cmyk has 4 components and an Adobe marker; grey has 1', () => {
    const bytes = (n: string): Uint8Array => new Uint8Array(readFileSync(fixture(n)));
    expect(hasMarker(bytes('progressive.jpg'), 0xc2)).toBe(true);
    expect(hasMarker(bytes('progressive.jpg'), 0xc0)).toBe(false);
    expect(jpegComponents(bytes('progressive.jpg'))).toBe(3);
    expect(jpegComponents(bytes('cmyk.jpg'))).toBe(4);
    expect(hasMarker(bytes('cmyk.jpg'), 0xee)).toBe(true);
    expect(jpegComponents(bytes('grey.jpg'))).toBe(1);
    // a baseline file jpeg-js writes, and a file that is not a JPEG
    expect(jpegComponents(jpeg.encode({ data: new Uint8Array(64 * 4), width: 8, height: 8 }, 90).data)).toBe(3);
    expect(jpegComponents(new TextEncoder().encode('not a jpeg at all'))).toBeNull();
  });
});

describe('decoding', () => {
  it('a progressive JPEG decodes to its picture', () => {
    CENTRES.forEach(([x, y], q) => expectClose(rgbAt(fixture('progressive.jpg'), x, y), [...QUADRANTS[q]!, 255]));
  });

  it('a CMYK JPEG decodes to its picture in RGB, marked as converted', () => {
    CENTRES.forEach(([x, y], q) => expectClose(rgbAt(fixture('cmyk.jpg'), x, y), [...QUADRANTS[q]!, 255]));
    expect(readImage(fixture('cmyk.jpg')).convertedFrom).toBe('cmyk');
    expect(readImage(fixture('progressive.jpg')).convertedFrom).toBeUndefined();
  });

  it('a greyscale JPEG decodes to grey RGB of each quadrant\'s luma', () => {
    CENTRES.forEach(([x, y], q) => {
      const [r, g, b] = QUADRANTS[q]!;
      const luma = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      expectClose(rgbAt(fixture('grey.jpg'), x, y), [luma, luma, luma, 255]);
    });
  });
});

describe('as the image of an instance folder', () => {
  /** An instance folder whose img.jpg is the fixture `name`, with a left and a right mask. */
  function load(name: string): string[] {
    const d = tmp.fresh('scene');
    mkdirSync(d);
    copyFileSync(fixture(name), join(d, 'img.jpg'));
    for (const [i, x0] of [0, 8].entries()) {
      const gray = new Uint8Array(256);
      for (let y = 0; y < 16; y++) gray.fill(255, y * 16 + x0, y * 16 + x0 + 8);
      writePng(join(d, `mask${i}.png`), { width: 16, height: 16, gray });
    }
    const notes: string[] = [];
    const f = loadInstanceFolder(d, { resolution: 16, numOfAssets: 2, notice: (m) => void notes.push(m) });
    expect(f.image.shape).toEqual([1, 3, 16, 16]);
    return notes;
  }

  it('progressive and greyscale load without a notice; CMYK with one', () => {
    expect(load('progressive.jpg')).toEqual([]);
    expect(load('grey.jpg')).toEqual([]);
    expect(load('cmyk.jpg')).toEqual(["note: img.jpg is a CMYK JPEG: converted to RGB by the plain formula (as PIL's convert('RGB')), no colour profile applied"]);
  });
});
