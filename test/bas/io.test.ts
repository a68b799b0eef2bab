// bas/io: PNG/JPEG reading and writing, resizing, tensor conversion, instance folders.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fc from 'fast-check';
import jpeg from 'jpeg-js';
import { afterAll, describe, expect, it } from 'vitest';
import { nearestIndices, tensor } from '../../core/index.js';
import { to_uint8_images } from '../../diffusion/index.js';
import {
  encodePng, imageToTensor, loadInstanceFolder, maskToTensor, readImage, resizeImage, resizeNearest,
  resizePlanes, rgbImagesOf, tensorToImage, writePng, type RgbaImage,
} from '../../bas/io/index.js';
import { sharedExamplesDir } from '../helpers/environment.js';

const root = mkdtempSync(join(tmpdir(), 'bas-io-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = (): string => {
  const d = join(root, `d${dirCount++}`);
  mkdirSync(d);
  return d;
};

function pattern(width: number, height: number, channels: number, seed = 1): Uint8Array {
  const out = new Uint8Array(width * height * channels);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

function solid(width: number, height: number, rgba: [number, number, number, number]): RgbaImage {
  const d = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) d.set(rgba, i * 4);
  return { width, height, rgba: d };
}

describe('PNG', () => {
  it('round-trips RGBA, RGB and grey bit-exactly', () => {
    const d = freshDir();
    const [w, h] = [13, 7];
    const rgba = pattern(w, h, 4);
    writePng(join(d, 'a.png'), { width: w, height: h, rgba });
    expect(readImage(join(d, 'a.png'))).toEqual({ width: w, height: h, rgba });

    const rgb = pattern(w, h, 3, 2);
    writePng(join(d, 'b.png'), { width: w, height: h, rgb });
    const b = readImage(join(d, 'b.png'));
    for (let i = 0; i < w * h; i++) expect([...b.rgba.subarray(i * 4, i * 4 + 4)]).toEqual([...rgb.subarray(i * 3, i * 3 + 3), 255]);

    const gray = pattern(w, h, 1, 3);
    writePng(join(d, 'g.png'), { width: w, height: h, gray });
    const g = readImage(join(d, 'g.png'));
    for (let i = 0; i < w * h; i++) expect([...g.rgba.subarray(i * 4, i * 4 + 4)]).toEqual([gray[i], gray[i], gray[i], 255]);
    // grey is stored as grey (colour type 0 in the IHDR chunk), one byte a pixel
    expect(readFileSync(join(d, 'g.png'))[25]).toBe(0);
  });

  it('writes atomically: no temporary files are left, and an existing file is replaced whole', () => {
    const d = freshDir();
    writePng(join(d, 'x.png'), { width: 4, height: 4, gray: new Uint8Array(16).fill(7) });
    writePng(join(d, 'x.png'), { width: 2, height: 3, gray: new Uint8Array(6).fill(9) });
    expect(readdirSync(d)).toEqual(['x.png']);
    expect(readImage(join(d, 'x.png')).width).toBe(2);
  });

  it('rejects pixel buffers of the wrong length', () => {
    expect(() => encodePng({ width: 3, height: 3, rgb: new Uint8Array(26) })).toThrow(/26 bytes for 3x3 with 3 channel/);
  });

  it('names the file when it is corrupt, truncated or missing', () => {
    const d = freshDir();
    const bad = join(d, 'bad.png');
    writeFileSync(bad, 'this is not a png');
    expect(() => readImage(bad)).toThrow(new RegExp(`^corrupt PNG: ${bad.replace(/[.\\/]/g, '\\$&')}: `));
    const cut = join(d, 'cut.png');
    const whole = encodePng({ width: 16, height: 16, rgb: pattern(16, 16, 3) });
    writeFileSync(cut, whole.subarray(0, whole.length >> 1));
    expect(() => readImage(cut)).toThrow(/^corrupt PNG: .*cut\.png: /);
    expect(() => readImage(join(d, 'none.png'))).toThrow(/^image not found: .*none\.png$/);
  });

  it('refuses unsupported extensions, naming the file', () => {
    const d = freshDir();
    writeFileSync(join(d, 'x.bmp'), 'BM');
    expect(() => readImage(join(d, 'x.bmp'))).toThrow(/unsupported image type "\.bmp".*x\.bmp$/);
  });
});

describe('JPEG', () => {
  it('decodes a JPEG encoded by jpeg-js (lossy: close, not exact)', () => {
    const d = freshDir();
    const [w, h] = [24, 16];
    const rgba = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) rgba.set([x * 10, y * 15, 128, 255], (y * w + x) * 4);
    }
    writeFileSync(join(d, 'img.jpg'), jpeg.encode({ data: rgba, width: w, height: h }, 95).data);
    const img = readImage(join(d, 'img.jpg'));
    expect([img.width, img.height]).toEqual([w, h]);
    let err = 0;
    for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) err += Math.abs(img.rgba[i * 4 + c]! - rgba[i * 4 + c]!);
    expect(err / (w * h * 3)).toBeLessThan(3);
    expect(img.rgba[3]).toBe(255);
  });

  it('names the file when it is corrupt', () => {
    const d = freshDir();
    writeFileSync(join(d, 'bad.jpeg'), pattern(100, 1, 1));
    expect(() => readImage(join(d, 'bad.jpeg'))).toThrow(/^corrupt JPEG: .*bad\.jpeg: /);
    const whole = jpeg.encode({ data: pattern(32, 32, 4), width: 32, height: 32 }, 90).data;
    writeFileSync(join(d, 'cut.jpg'), whole.subarray(0, whole.length >> 1));
    expect(() => readImage(join(d, 'cut.jpg'))).toThrow(/^corrupt JPEG: .*cut\.jpg: /);
  });
});

describe('resize', () => {
  it("nearest uses PyTorch's index rule (core's nearestIndices, the one interpolate reads)", () => {
    // one column of distinct values per row: the resized column names the source rows read
    const idx = (inSize: number, outSize: number): number[] => {
      const img: RgbaImage = { width: 1, height: inSize, rgba: Uint8Array.from({ length: inSize * 4 }, (_, i) => (i % 4 === 0 ? i / 4 : 0)) };
      const viaResize = [...resizeNearest(img, 1, outSize).rgba].filter((_, i) => i % 4 === 0);
      expect(viaResize).toEqual(Array.from(nearestIndices(inSize, outSize)));
      return viaResize;
    };
    expect(idx(5, 3)).toEqual([0, 1, 3]);
    expect(idx(255, 32)).toEqual(Array.from({ length: 32 }, (_, i) => Math.floor(Math.fround(i * Math.fround(255 / 32)))));
    expect(idx(3, 6)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(idx(4, 4)).toEqual([0, 1, 2, 3]);
    // ATen computes floor(dst * float32(in / out)) in float32: 11 * 26/22 is 13 exactly, but 12.99... in float32
    expect(idx(26, 22)[11]).toBe(12);
    expect(Math.floor((11 * 26) / 22)).toBe(13);
    expect(idx(3, 5)).toEqual([0, 0, 1, 1, 2]);
  });

  it('nearest-resized masks keep their exact values, picking rows 0, 1, 3 of 5', () => {
    const img: RgbaImage = { width: 1, height: 5, rgba: new Uint8Array([0, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40, 0, 0, 0]) };
    expect([...resizeNearest(img, 1, 3).rgba].filter((_, i) => i % 4 === 0)).toEqual([0, 10, 30]);
    const t = maskToTensor(img, 3);
    expect(t.shape).toEqual([1, 1, 3, 3]);
    expect(Array.from(t.data)).toEqual([0, 0, 0, 10, 10, 10, 30, 30, 30].map((v) => Math.fround(v / 255)));
  });

  it('keeps a constant image constant at any sizes (area and bilinear)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 255 }),
        (w, h, ow, oh, v) => {
          const img = solid(w, h, [v, 255 - v, v >> 1, 255]);
          const out = resizeImage(img, ow, oh);
          for (let i = 0; i < ow * oh; i++) expect([...out.rgba.subarray(i * 4, i * 4 + 4)]).toEqual([v, 255 - v, v >> 1, 255]);
          const planes = resizePlanes({ width: w, height: h, channels: 1, data: new Float32Array(w * h).fill(v) }, ow, oh);
          for (const x of planes.data) expect(Math.abs(x - v)).toBeLessThan(1e-3);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('averages whole blocks when shrinking by an integer factor, interpolates half-pixel centres when enlarging', () => {
    const shrink = resizePlanes({ width: 4, height: 2, channels: 1, data: Float32Array.from([1, 3, 5, 7, 3, 5, 7, 9]) }, 2, 1);
    expect(Array.from(shrink.data)).toEqual([3, 7]);
    // F.interpolate([[0, 10]], size=4, mode='linear', align_corners=False) = [0, 2.5, 7.5, 10]
    const grow = resizePlanes({ width: 2, height: 1, channels: 1, data: Float32Array.from([0, 10]) }, 4, 1);
    expect(Array.from(grow.data)).toEqual([0, 2.5, 7.5, 10]);
    // a non-integer shrink weights each input pixel by its overlap: [0, 3, 6] -> [1, 5]
    const frac = resizePlanes({ width: 3, height: 1, channels: 1, data: Float32Array.from([0, 3, 6]) }, 2, 1);
    expect(Array.from(frac.data).map((x) => Math.round(x * 1e5) / 1e5)).toEqual([1, 5]);
  });
});

describe('tensors', () => {
  it('imageToTensor maps 0..255 to [-1, 1] as x / 127.5 - 1, RGB planes, alpha dropped', () => {
    const img: RgbaImage = { width: 2, height: 1, rgba: new Uint8Array([0, 255, 51, 7, 255, 0, 102, 200]) };
    const t = imageToTensor(img, 2);
    expect(t.shape).toEqual([1, 3, 2, 2]);
    expect(t.dtype).toBe('float32');
    const v = (x: number): number => Math.fround(x / 127.5 - 1);
    // 2x1 -> 2x2: rows are copies (bilinear on an axis of size 1)
    expect(Array.from(t.data)).toEqual([v(0), v(255), v(0), v(255), v(255), v(0), v(255), v(0), v(51), v(102), v(51), v(102)]);
  });

  it("tensorToImage rounds as the pipelines do (diffusion's to_uint8_images: numpy_to_pil, half to even), also at float32 half-way points", () => {
    // the float32 neighbours of every (k + 0.5) / 127.5 - 1: where a second rule, round((x + 1) * 127.5), differs in 323 of 1785
    const vals: number[] = [];
    const bits = new Int32Array(1);
    const f = new Float32Array(bits.buffer);
    for (let k = 0; k < 255; k++) {
      f[0] = (k + 0.5) / 127.5 - 1;
      const base = bits[0]!;
      for (let j = -3; j <= 3; j++) {
        bits[0] = base + j;
        vals.push(f[0]!);
      }
    }
    const t = tensor(vals, { dtype: 'float32', shape: [1, 1, 1, vals.length] });
    const want = to_uint8_images(t, 'rgb')[0]!.data.filter((_, i) => i % 3 === 0);
    expect([...tensorToImage(t).rgba].filter((_, i) => i % 4 === 0)).toEqual([...want]);
    expect(rgbImagesOf(t)[0]!.rgb).toEqual(to_uint8_images(t, 'rgb')[0]!.data);
  });

  it('tensorToImage inverts imageToTensor at the same size and clamps out-of-range values', () => {
    const img: RgbaImage = { width: 5, height: 5, rgba: pattern(5, 5, 4) };
    for (let i = 3; i < img.rgba.length; i += 4) img.rgba[i] = 255;
    expect(tensorToImage(imageToTensor(img, 5))).toEqual(img);
    const t = tensor([[[-3]], [[0]], [[3]]], { dtype: 'float32' });
    expect([...tensorToImage(t).rgba]).toEqual([0, 128, 255, 255]);
    expect(() => tensorToImage(tensor([1, 2], { dtype: 'float32' }))).toThrow(/\(C, H, W\)/);
  });

  it('stretches a non-square image to the square resolution', () => {
    const img = solid(8, 2, [255, 0, 0, 255]);
    expect(imageToTensor(img, 4).shape).toEqual([1, 3, 4, 4]);
    expect(maskToTensor(img, 4).shape).toEqual([1, 1, 4, 4]);
    expect(() => imageToTensor(img, 0)).toThrow(/resolution/);
  });
});

describe('loadInstanceFolder', () => {
  /** An instance folder: a 40x40 image and `n` masks (square blocks). */
  function makeFolder(n: number, opts: { jpg?: boolean; maskSize?: [number, number]; badMask?: number } = {}): string {
    const d = freshDir();
    const rgb = pattern(40, 40, 3);
    if (opts.jpg) {
      const rgba = new Uint8Array(40 * 40 * 4).fill(255);
      for (let i = 0; i < 1600; i++) rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
      writeFileSync(join(d, 'img.jpg'), jpeg.encode({ data: rgba, width: 40, height: 40 }, 90).data);
    } else {
      writePng(join(d, 'img.png'), { width: 40, height: 40, rgb });
    }
    for (let i = 0; i < n; i++) {
      const [w, h] = i === opts.badMask && opts.maskSize ? opts.maskSize : [40, 40];
      const gray = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) gray[y * w + x] = Math.floor(x / 10) === i ? 255 : 0;
      writePng(join(d, `mask${i}.png`), { width: w, height: h, gray });
    }
    return d;
  }

  it('loads the image and masks at the resolution', () => {
    const d = makeFolder(3);
    const f = loadInstanceFolder(d, { resolution: 8, numOfAssets: 3 });
    expect([f.width, f.height]).toEqual([40, 40]);
    expect(f.image.shape).toEqual([1, 3, 8, 8]);
    expect(f.masks.map((m) => m.shape)).toEqual([[1, 1, 8, 8], [1, 1, 8, 8], [1, 1, 8, 8]]);
    expect(f.paths).toEqual({ image: join(d, 'img.png'), masks: [0, 1, 2].map((i) => join(d, `mask${i}.png`)) });
    // mask i covers columns [10 i, 10 i + 10) of 40, i.e. columns [2 i, 2 i + 2) of 8
    expect(Array.from(f.masks[1]!.data.slice(0, 8))).toEqual([0, 0, 1, 1, 0, 0, 0, 0]);
    for (const v of f.image.data) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    expect(loadInstanceFolder(makeFolder(2, { jpg: true }), { resolution: 4 }).masks).toHaveLength(2);
  });

  it('names the culprit of every bad input', () => {
    expect(() => loadInstanceFolder(join(root, 'nope'), { resolution: 8 })).toThrow(/instance folder not found: .*nope/);
    const noImage = freshDir();
    writePng(join(noImage, 'mask0.png'), { width: 2, height: 2, gray: new Uint8Array(4) });
    expect(() => loadInstanceFolder(noImage, { resolution: 8 })).toThrow(/no image in instance folder .*: expected img\.jpg or img\.png/);
    expect(() => loadInstanceFolder(makeFolder(0), { resolution: 8 })).toThrow(/no masks in instance folder/);
    expect(() => loadInstanceFolder(makeFolder(2, { badMask: 1, maskSize: [20, 40] }), { resolution: 8 })).toThrow(
      /mask size differs from the image: .*mask1\.png is 20x40, .*img\.png is 40x40/,
    );
    expect(() => loadInstanceFolder(makeFolder(3), { resolution: 8, numOfAssets: 2 })).toThrow(/numOfAssets is 2 but .* holds 3 mask/);
    const gap = makeFolder(3);
    rmSync(join(gap, 'mask1.png'));
    expect(() => loadInstanceFolder(gap, { resolution: 8 })).toThrow(/found mask0\.png, mask2\.png, missing mask1\.png/);
    const corrupt = makeFolder(2);
    writeFileSync(join(corrupt, 'mask1.png'), 'garbage');
    expect(() => loadInstanceFolder(corrupt, { resolution: 8 })).toThrow(/corrupt PNG: .*mask1\.png: /);
  });

  const examples = sharedExamplesDir();
  it.skipIf(examples === null)('loads the shared creature example at 32x32', () => {
    const f = loadInstanceFolder(join(examples!, 'creature'), { resolution: 32, numOfAssets: 3 });
    expect([f.width, f.height]).toEqual([512, 512]);
    expect(f.image.shape).toEqual([1, 3, 32, 32]);
    const px = f.image.data;
    expect(Math.min(...px)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...px)).toBeLessThanOrEqual(1);
    for (const m of f.masks) {
      expect(m.shape).toEqual([1, 1, 32, 32]);
      const on = Array.from(m.data).filter((v) => v > 0.5).length;
      expect(on).toBeGreaterThan(0);
      expect(on).toBeLessThan(32 * 32);
    }
  });
});
