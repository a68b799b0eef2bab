import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../core/index.js';
import {
  labelBandHeight,
  labelsFromTokens,
  renderAttentionRow,
  save_cross_attention_overlay,
  save_cross_attention_vis,
  type TokenLabel,
} from '../../bas/vis/attention_vis.js';
import { renderText } from '../../bas/vis/bitmap_font.js';
import { colormapColor } from '../../bas/vis/colormap.js';
import { createImage, resizeImage, type RgbImage } from '../../bas/vis/image_ops.js';
import { writePngAtomic } from '../../bas/vis/png_file.js';

const RES = 16;
const TOKENS = ['<|startoftext|>', 'a', 'photo', 'of', '<asset0>', 'and', '<asset1>', '<|endoftext|>'];
const dir = mkdtempSync(join(tmpdir(), 'bas-vis-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** (res, res, tokens) with map(t)[y, x] = f(t, y, x). */
function attention(f: (t: number, y: number, x: number) => number, tokens = TOKENS.length, res = RES): Tensor {
  const d = new Float32Array(res * res * tokens);
  for (let y = 0; y < res; y++) for (let x = 0; x < res; x++) for (let t = 0; t < tokens; t++) d[(y * res + x) * tokens + t] = f(t, y, x);
  return tensor(d, { shape: [res, res, tokens] });
}

const blobs = attention((t, y, x) => Math.exp(-((x - 2 * t) ** 2 + (y - 8) ** 2) / 8) + 0.01);
const hot = (hx: number, hy: number, level = 0.3) => attention((t, y, x) => (t === 4 && y === hy && x === hx ? level : t === 4 ? 0 : 0.5));

function px(img: RgbImage, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return [img.rgb[i]!, img.rgb[i + 1]!, img.rgb[i + 2]!];
}

function crop(img: RgbImage, x0: number, y0: number, w: number, h: number): RgbImage {
  const out = createImage(w, h);
  for (let y = 0; y < h; y++) out.rgb.set(img.rgb.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + w) * 3), y * w * 3);
  return out;
}

// toEqual on large byte arrays is slow; compare the bytes and report the first difference
function expectSameImage(a: RgbImage, b: RgbImage): void {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  const i = a.rgb.findIndex((v, k) => v !== b.rgb[k]);
  expect(i, i < 0 ? '' : `first difference at pixel ${Math.floor(i / 3)} (x ${Math.floor(i / 3) % a.width})`).toBe(-1);
}

function decode(path: string): RgbImage {
  const png = PNG.sync.read(readFileSync(path));
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = png.data[i * 4 + c]!;
  return { width: png.width, height: png.height, rgb };
}

describe('save_cross_attention_vis', () => {
  it('writes a PNG of one tile per label in a row, with a text band under each', () => {
    const labels = labelsFromTokens(TOKENS);
    const path = join(dir, 'row.png');
    const img = save_cross_attention_vis(path, blobs, labels, { tileSize: 64, gap: 3 });
    const back = decode(path);
    expect(back.width).toBe(labels.length * 64 + (labels.length - 1) * 3);
    expect(back.height).toBe(64 + labelBandHeight(1));
    expectSameImage(back, img);
    expect(px(back, 64, 10)).toEqual([255, 255, 255]); // the gap
  });

  it('defaults to 128-pixel tiles, a 4-pixel gap and 2x text', () => {
    const img = renderAttentionRow(blobs, [{ index: 1, text: 'a' }, { index: 2, text: 'photo' }]);
    expect([img.width, img.height]).toEqual([2 * 128 + 4, 128 + labelBandHeight(2)]);
  });

  it('shows a single hot pixel in the max colour at its upscaled place and the min colour far away', () => {
    const [hx, hy] = [5, 11];
    const label: TokenLabel[] = [{ index: 4, text: '<asset0>' }];
    const max = colormapColor('jet', 1);
    const min = colormapColor('jet', 0);
    // bilinear at factor 3: output pixel 3i+1 is the centre of input pixel i
    const smooth = renderAttentionRow(hot(hx, hy), label, { tileSize: 48 });
    expect(px(smooth, 3 * hx + 1, 3 * hy + 1)).toEqual(max);
    expect(px(smooth, 3 * hx + 4, 3 * hy + 1)).not.toEqual(max); // a pixel over is cooler
    expect(px(smooth, 46, 2)).toEqual(min);
    // nearest at factor 8: the whole 8x8 block
    const blocky = renderAttentionRow(hot(hx, hy), label, { tileSize: 128, upscale: 'nearest' });
    for (let y = 8 * hy; y < 8 * hy + 8; y++) for (let x = 8 * hx; x < 8 * hx + 8; x++) expect(px(blocky, x, y)).toEqual(max);
    expect(px(blocky, 8 * hx - 1, 8 * hy)).toEqual(min);
    expect(px(blocky, 127, 0)).toEqual(min);
  });

  it('divides each map by its own max: a map scaled by 7 renders identically', () => {
    const labels = [{ index: 2, text: 'photo' }, { index: 5, text: 'and' }];
    const scaled = attention((t, y, x) => 7 * (Math.exp(-((x - 2 * t) ** 2 + (y - 8) ** 2) / 8) + 0.01));
    for (const colormap of ['jet', 'gray'] as const) {
      expectSameImage(renderAttentionRow(scaled, labels, { colormap }), renderAttentionRow(blobs, labels, { colormap }));
    }
    // and the max of every map reaches the top of the colour map
    const gray = renderAttentionRow(hot(3, 3, 1e-4), [{ index: 4, text: '' }], { tileSize: 16, colormap: 'gray' });
    expect(px(gray, 3, 3)).toEqual([255, 255, 255]);
  });

  it('draws an all-zero map in the min colour without NaNs', () => {
    const zero = attention(() => 0);
    const img = renderAttentionRow(zero, [{ index: 0, text: 'x' }], { tileSize: 32, colormap: 'viridis' });
    const min = colormapColor('viridis', 0);
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) expect(px(img, x, y)).toEqual(min);
  });

  it('prints the token in white on a black band, centred', () => {
    const img = renderAttentionRow(blobs, [{ index: 2, text: 'photo' }], { tileSize: 128 });
    const band = crop(img, 0, 128, 128, labelBandHeight(2));
    const text = renderText('photo', 2);
    let white = 0;
    let minX = Infinity;
    let maxX = -Infinity;
    for (let y = 0; y < band.height; y++) {
      for (let x = 0; x < band.width; x++) {
        const c = px(band, x, y).join(',');
        expect(['0,0,0', '255,255,255']).toContain(c);
        if (c === '255,255,255') {
          white++;
          minX = Math.min(minX, x);
          maxX = Math.max(maxX, x);
        }
      }
    }
    expect(white).toBe(text.mask.reduce((s, v) => s + v, 0));
    expect(Math.abs(minX - (127 - maxX))).toBeLessThanOrEqual(2 * 2); // centred to within a glyph's side bearing
  });

  it('cuts a long token with an ellipsis inside its tile', () => {
    const img = renderAttentionRow(blobs, [{ index: 0, text: '<|startoftext|>' }, { index: 1, text: 'a' }], { tileSize: 64, gap: 4 });
    // nothing white spills into the gap between the tiles
    for (let y = 64; y < img.height; y++) for (let x = 64; x < 68; x++) expect(px(img, x, y)).toEqual([255, 255, 255]);
    for (let y = 64; y < img.height; y++) expect(px(img, 63, y)).toEqual([0, 0, 0]);
  });

  it('rejects a bad shape, an index out of range and an empty label list', () => {
    expect(() => renderAttentionRow(tensor(new Float32Array(16), { shape: [4, 4] }), [{ index: 0, text: 'a' }])).toThrow(/\(res, res, tokens\)/);
    expect(() => renderAttentionRow(blobs, [{ index: 8, text: 'a' }])).toThrow(/token index 8 .* 8 tokens/);
    expect(() => renderAttentionRow(blobs, [])).toThrow(/at least one/);
    expect(() => renderAttentionRow(blobs, [{ index: 0, text: 'a' }], { tileSize: 0 })).toThrow(/tileSize/);
  });
});

describe('save_cross_attention_overlay', () => {
  const image = createImage(40, 40);
  for (let i = 0; i < image.rgb.length; i++) image.rgb[i] = (i * 37) % 256;
  const labels = [{ index: 1, text: 'a' }, { index: 4, text: '<asset0>' }];

  it('gives the resized image at alpha 0 and the plain heat map at alpha 1', () => {
    const under = resizeImage(image, 64, 64);
    const none = save_cross_attention_overlay(join(dir, 'o0.png'), blobs, labels, image, { tileSize: 64, alpha: 0 });
    const full = save_cross_attention_overlay(join(dir, 'o1.png'), blobs, labels, image, { tileSize: 64, alpha: 1 });
    const plain = renderAttentionRow(blobs, labels, { tileSize: 64 });
    expectSameImage(full, plain);
    for (const x0 of [0, 68]) expectSameImage(crop(none, x0, 0, 64, 64), under);
    // the bands are the same in every variant
    expectSameImage(crop(none, 0, 64, 132, none.height - 64), crop(plain, 0, 64, 132, plain.height - 64));
    expectSameImage(decode(join(dir, 'o0.png')), none);
  });

  it('mixes the two in between', () => {
    const under = resizeImage(image, 64, 64);
    const plain = renderAttentionRow(blobs, labels, { tileSize: 64 });
    const half = save_cross_attention_overlay(join(dir, 'o5.png'), blobs, labels, image, { tileSize: 64 });
    for (const [x, y] of [[0, 0], [30, 20], [63, 63]] as const) {
      const want = px(under, x, y).map((v, c) => 0.5 * v + 0.5 * px(plain, x, y)[c]!);
      px(half, x, y).forEach((v, c) => expect(Math.abs(v - want[c]!)).toBeLessThanOrEqual(0.5));
    }
  });
});

describe('writing', () => {
  it('leaves only the finished file behind', () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    save_cross_attention_vis(join(sub, 'vis.png'), blobs, [{ index: 1, text: 'a' }], { tileSize: 16 });
    save_cross_attention_vis(join(sub, 'vis.png'), blobs, [{ index: 2, text: 'b' }], { tileSize: 16 }); // overwrite
    expect(readdirSync(sub)).toEqual(['vis.png']);
  });

  it('throws naming the path when the folder does not exist, and creates nothing', () => {
    const sub = mkdtempSync(join(dir, 'missing-'));
    const path = join(sub, 'no', 'such', 'vis.png');
    expect(() => save_cross_attention_vis(path, blobs, [{ index: 1, text: 'a' }], { tileSize: 16 })).toThrow(`cannot write PNG ${path}:`);
    expect(readdirSync(sub)).toEqual([]);
  });

  it('removes its temporary file when the final rename fails', () => {
    const sub = mkdtempSync(join(dir, 'rename-'));
    const target = join(sub, 'taken.png');
    mkdirSync(join(target, 'inside'), { recursive: true }); // a non-empty folder where the file should go
    expect(() => writePngAtomic(target, createImage(2, 2))).toThrow(`cannot write PNG ${target}:`);
    expect(readdirSync(sub)).toEqual(['taken.png']);
    expect(readdirSync(target)).toEqual(['inside']);
  });
});

describe('labelsFromTokens', () => {
  it('drops the special tokens and the end-of-word marker, keeping positions', () => {
    expect(labelsFromTokens(['<|startoftext|>', 'a</w>', '<asset0>', '<|endoftext|>', '<|endoftext|>'])).toEqual([
      { index: 1, text: 'a' },
      { index: 2, text: '<asset0>' },
    ]);
    expect(labelsFromTokens(TOKENS, (t) => t.startsWith('<asset')).map((l) => l.index)).toEqual([4, 6]);
  });
});
