import { describe, expect, it } from 'vitest';
import {
  CELL_WIDTH,
  ELLIPSIS,
  GLYPH_HEIGHT,
  GLYPH_WIDTH,
  fitText,
  glyph,
  hasGlyph,
  renderText,
  supportedChars,
  textWidth,
} from '../../bas/vis/bitmap_font.js';

const REQUIRED = [
  ...'abcdefghijklmnopqrstuvwxyz',
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  ...'0123456789',
  ...`<>|_-.,:!?'"()/`,
];

describe('bitmap font', () => {
  it('covers letters, digits and the punctuation tokens use', () => {
    for (const ch of REQUIRED) expect(hasGlyph(ch), `missing glyph ${JSON.stringify(ch)}`).toBe(true);
  });

  it('draws every supported glyph but the space with at least one lit pixel', () => {
    for (const ch of supportedChars()) {
      const lit = glyph(ch).reduce((s, v) => s + v, 0);
      if (ch === ' ') expect(lit).toBe(0);
      else expect(lit, `glyph ${JSON.stringify(ch)} is blank`).toBeGreaterThan(0);
    }
  });

  it('gives distinct characters distinct bitmaps', () => {
    const seen = new Map<string, string>();
    for (const ch of supportedChars()) {
      const key = glyph(ch).join('');
      expect(seen.get(key), `${JSON.stringify(ch)} looks like ${JSON.stringify(seen.get(key))}`).toBeUndefined();
      seen.set(key, ch);
    }
  });

  it('draws a box for characters it lacks, unlike any real glyph', () => {
    expect(hasGlyph('é')).toBe(false);
    const box = glyph('é').join('');
    expect(box).toContain('1');
    for (const ch of supportedChars()) expect(glyph(ch).join('')).not.toBe(box);
  });

  it('scales each font pixel to a scale x scale block and advances one cell a character', () => {
    const text = 'Ag|<asset0>';
    const one = renderText(text, 1);
    expect(one.width).toBe(text.length * CELL_WIDTH - 1);
    expect(one.height).toBe(GLYPH_HEIGHT);
    // the first glyph's pixels are the glyph itself
    const a = glyph('A');
    for (let y = 0; y < GLYPH_HEIGHT; y++) for (let x = 0; x < GLYPH_WIDTH; x++) expect(one.mask[y * one.width + x]).toBe(a[y * GLYPH_WIDTH + x]);
    for (const s of [2, 3]) {
      const big = renderText(text, s);
      expect(big.width).toBe(one.width * s);
      expect(big.height).toBe(one.height * s);
      for (let y = 0; y < big.height; y++) {
        for (let x = 0; x < big.width; x++) {
          expect(big.mask[y * big.width + x]).toBe(one.mask[Math.floor(y / s) * one.width + Math.floor(x / s)]);
        }
      }
    }
    expect(() => renderText('a', 0)).toThrow(/positive integer/);
  });

  it('keeps text that fits and cuts the rest to a prefix plus an ellipsis that fits', () => {
    expect(fitText('photo', 200, 2)).toBe('photo');
    const cut = fitText('<|startoftext|>', 118, 2);
    expect(cut.endsWith(ELLIPSIS)).toBe(true);
    expect('<|startoftext|>'.startsWith(cut.slice(0, -1))).toBe(true);
    expect(textWidth(cut, 2)).toBeLessThanOrEqual(118);
    // one more character would not have fitted
    expect(textWidth('<|startoftext|>'.slice(0, cut.length) + ELLIPSIS, 2)).toBeGreaterThan(118);
    expect(fitText('abc', 3, 1)).toBe('');
  });
});
