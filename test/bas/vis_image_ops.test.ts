import { describe, expect, it } from 'vitest';
import { COLORMAPS, colormapColor, colormapLut, type ColormapName } from '../../bas/vis/colormap.js';
import { blend, createImage, grid, hstack, resample, resizeImage, rgbaToRgb, vstack, type RgbImage } from '../../bas/vis/image_ops.js';

function solid(width: number, height: number, c: [number, number, number]): RgbImage {
  return createImage(width, height, c);
}

function px(img: RgbImage, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return [img.rgb[i]!, img.rgb[i + 1]!, img.rgb[i + 2]!];
}

describe('colormaps', () => {
  it('run from the expected ends', () => {
    expect(colormapColor('gray', 0)).toEqual([0, 0, 0]);
    expect(colormapColor('gray', 1)).toEqual([255, 255, 255]);
    expect(colormapColor('jet', 0)).toEqual([0, 0, 128]); // dark blue
    expect(colormapColor('jet', 1)).toEqual([128, 0, 0]); // dark red
    expect(colormapColor('viridis', 0)).toEqual([0x44, 0x01, 0x54]);
    expect(colormapColor('inferno', 1)).toEqual([0xfc, 0xff, 0xa4]);
  });

  it('clamp values outside [0, 1] and NaN', () => {
    for (const name of COLORMAPS) {
      expect(colormapColor(name, -3)).toEqual(colormapColor(name, 0));
      expect(colormapColor(name, Number.NaN)).toEqual(colormapColor(name, 0));
      expect(colormapColor(name, 9)).toEqual(colormapColor(name, 1));
    }
  });

  it('get brighter along the perceptual maps', () => {
    for (const name of ['gray', 'viridis', 'inferno'] as const) {
      const lut = colormapLut(name);
      const luma = (k: number) => 0.299 * lut[3 * k]! + 0.587 * lut[3 * k + 1]! + 0.114 * lut[3 * k + 2]!;
      for (let k = 8; k < 256; k += 8) expect(luma(k)).toBeGreaterThan(luma(k - 8));
    }
  });

  it('reject an unknown name', () => {
    expect(() => colormapLut('hot' as ColormapName)).toThrow(/unknown colormap/);
  });
});

describe('resampling', () => {
  it('nearest at an integer factor repeats each pixel as a block', () => {
    const src = [1, 2, 3, 4, 5, 6]; // 3 wide, 2 tall
    const out = resample(src, 3, 2, 1, 12, 8, 'nearest');
    for (let y = 0; y < 8; y++) for (let x = 0; x < 12; x++) expect(out[y * 12 + x]).toBe(src[Math.floor(y / 4) * 3 + Math.floor(x / 4)]);
  });

  it('bilinear keeps a constant, hits the source at pixel centres, and stays within the source range', () => {
    expect([...resample(new Array(16).fill(0.25), 4, 4, 1, 13, 7)].every((v) => Math.abs(v - 0.25) < 1e-6)).toBe(true);
    const src = Array.from({ length: 16 }, (_, i) => (i * 7) % 5);
    const out = resample(src, 4, 4, 1, 12, 12); // factor 3: output 3i+1 is input i's centre
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) expect(out[(3 * y + 1) * 12 + 3 * x + 1]).toBeCloseTo(src[y * 4 + x]!, 5);
    for (const v of out) expect(v >= 0 && v <= 4 + 1e-6).toBe(true);
  });

  it('bilinear averages when shrinking', () => {
    const checker = Array.from({ length: 64 }, (_, i) => ((i % 8) + Math.floor(i / 8)) % 2);
    const out = resample(checker, 8, 8, 1, 2, 2);
    for (const v of out) expect(v).toBeCloseTo(0.5, 1);
  });

  it('resizes RGB images channel by channel', () => {
    const img = hstack([solid(2, 2, [255, 0, 0]), solid(2, 2, [0, 0, 255])]);
    const big = resizeImage(img, 8, 4, 'nearest');
    expect(px(big, 0, 0)).toEqual([255, 0, 0]);
    expect(px(big, 7, 3)).toEqual([0, 0, 255]);
  });
});

describe('stacking and blending', () => {
  const red = solid(3, 2, [255, 0, 0]);
  const green = solid(2, 4, [0, 255, 0]);

  it('hstack puts images side by side, top-aligned, with gaps in the background colour', () => {
    const out = hstack([red, green], { gap: 1, background: [9, 9, 9] });
    expect([out.width, out.height]).toEqual([6, 4]);
    expect(px(out, 0, 0)).toEqual([255, 0, 0]);
    expect(px(out, 3, 0)).toEqual([9, 9, 9]); // gap
    expect(px(out, 4, 3)).toEqual([0, 255, 0]);
    expect(px(out, 0, 3)).toEqual([9, 9, 9]); // under the shorter image
  });

  it('vstack puts images one above another, left-aligned', () => {
    const out = vstack([red, green], { gap: 2 });
    expect([out.width, out.height]).toEqual([3, 8]);
    expect(px(out, 2, 1)).toEqual([255, 0, 0]);
    expect(px(out, 0, 2)).toEqual([255, 255, 255]);
    expect(px(out, 1, 7)).toEqual([0, 255, 0]);
    expect(px(out, 2, 7)).toEqual([255, 255, 255]);
  });

  it('grid fills rows of the given width', () => {
    const tiles = Array.from({ length: 5 }, () => solid(4, 3, [1, 2, 3]));
    const out = grid(tiles, 2, { gap: 1 });
    expect([out.width, out.height]).toEqual([9, 11]);
  });

  it('blend gives the base at alpha 0, the top at alpha 1, and the mix between', () => {
    const a = solid(2, 2, [200, 0, 100]);
    const b = solid(2, 2, [0, 100, 0]);
    expect(blend(a, b, 0).rgb).toEqual(a.rgb);
    expect(blend(a, b, 1).rgb).toEqual(b.rgb);
    expect(px(blend(a, b, 0.5), 1, 1)).toEqual([100, 50, 50]);
    expect(() => blend(a, solid(1, 2, [0, 0, 0]), 0.5)).toThrow(/one size/);
    expect(() => blend(a, b, 1.5)).toThrow(/alpha/);
  });

  it('rgbaToRgb drops the alpha channel', () => {
    const out = rgbaToRgb({ width: 2, height: 1, rgba: Uint8Array.from([1, 2, 3, 0, 4, 5, 6, 255]) });
    expect([...out.rgb]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => rgbaToRgb({ width: 2, height: 1, rgba: new Uint8Array(7) })).toThrow(/needs 8 bytes/);
  });
});
