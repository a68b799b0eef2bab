// save_cross_attention_vis: one tile per prompt token showing where that token's cross-attention
// lands (its map divided by its max, coloured, upscaled), the token's text in a band under it,
// tiles in a row. The overlay variant blends each heat map over the input image.
import type { Tensor } from '../../core/index.js';
import { colormapIndex, colormapLut, type ColormapName } from './colormap.js';
import { CELL_HEIGHT, GLYPH_HEIGHT, fitText, renderText } from './bitmap_font.js';
import { blend, checkImage, createImage, hstack, paste, resample, resizeImage, stamp, type ResampleMode, type Rgb, type RgbImage } from './image_ops.js';
import { writePngAtomic } from './png_file.js';

export interface TokenLabel {
  /** Position of the token in the attention's last axis. */
  index: number;
  /** What to print under its tile. */
  text: string;
}

export interface AttentionVisOptions {
  /** Side of each square tile in pixels (default 128: 8x a 16x16 map). */
  tileSize?: number;
  /** Default 'jet'. */
  colormap?: ColormapName;
  /** How the map is enlarged to the tile (default 'bilinear'). */
  upscale?: ResampleMode;
  /** Pixels between tiles (default 4). */
  gap?: number;
  /** Colour of the gaps (default white, as the original's view_images). */
  background?: Rgb;
  /** Integer size of a font pixel (default tileSize / 64 rounded, at least 1: ~10 characters a tile). */
  fontScale?: number;
  /** Overlay: the input image, resized to each tile, under the heat map. */
  image?: RgbImage;
  /** Overlay: weight of the heat map, 0 (image only) to 1 (heat map only); default 0.5. */
  alpha?: number;
}

const TEXT_COLOR: Rgb = [255, 255, 255];
const BAND_COLOR: Rgb = [0, 0, 0];

interface Resolved {
  tileSize: number;
  colormap: ColormapName;
  upscale: ResampleMode;
  gap: number;
  background: Rgb;
  fontScale: number;
  image: RgbImage | undefined;
  alpha: number;
}

function resolve(opts: AttentionVisOptions): Resolved {
  const tileSize = opts.tileSize ?? 128;
  if (!Number.isInteger(tileSize) || tileSize < 1) throw new RangeError(`tileSize must be a positive integer, got ${tileSize}`);
  const gap = opts.gap ?? 4;
  if (!Number.isInteger(gap) || gap < 0) throw new RangeError(`gap must be a non-negative integer, got ${gap}`);
  const fontScale = opts.fontScale ?? Math.max(1, Math.round(tileSize / 64));
  if (!Number.isInteger(fontScale) || fontScale < 1) throw new RangeError(`fontScale must be a positive integer, got ${fontScale}`);
  const alpha = opts.alpha ?? 0.5;
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${alpha}`);
  if (opts.image) checkImage(opts.image, 'overlay image');
  return {
    tileSize,
    colormap: opts.colormap ?? 'jet',
    upscale: opts.upscale ?? 'bilinear',
    gap,
    background: opts.background ?? [255, 255, 255],
    fontScale,
    image: opts.image,
    alpha,
  };
}

/** Height of the text band under each tile: one line of text with a font pixel's margin of 2 above and below. */
export function labelBandHeight(fontScale: number): number {
  return (CELL_HEIGHT + 3) * fontScale;
}

/** One token's map (height, width) as a row-major buffer divided by its max (all zeros stays zeros). */
export function normalizedMap(attention: Tensor, index: number): { width: number; height: number; values: Float32Array } {
  if (attention.ndim !== 3) throw new RangeError(`attention must be (res, res, tokens), got shape [${attention.shape.join(', ')}]`);
  const [height, width, tokens] = attention.shape as [number, number, number];
  if (!Number.isInteger(index) || index < 0 || index >= tokens) {
    throw new RangeError(`token index ${index} is outside the attention's ${tokens} tokens`);
  }
  const data = attention.data;
  const values = new Float32Array(height * width);
  let max = 0;
  for (let p = 0; p < values.length; p++) {
    const v = data[p * tokens + index]!;
    values[p] = v;
    if (v > max) max = v;
  }
  // max <= 0 (or NaN) leaves nothing to show: an all-zero map draws as the colormap's minimum
  if (max > 0) for (let p = 0; p < values.length; p++) values[p]! /= max;
  return { width, height, values };
}

/** A map's heat image at tileSize x tileSize: upscale the values, then colour them. */
function heatTile(map: { width: number; height: number; values: Float32Array }, o: Resolved): RgbImage {
  const up = resample(map.values, map.width, map.height, 1, o.tileSize, o.tileSize, o.upscale);
  const lut = colormapLut(o.colormap);
  const rgb = new Uint8Array(up.length * 3);
  for (let p = 0; p < up.length; p++) {
    const k = colormapIndex(up[p]!) * 3;
    rgb[p * 3] = lut[k]!;
    rgb[p * 3 + 1] = lut[k + 1]!;
    rgb[p * 3 + 2] = lut[k + 2]!;
  }
  return { width: o.tileSize, height: o.tileSize, rgb };
}

/** The text band: white text, centred, cut with an ellipsis where it would not fit. */
function labelBand(text: string, o: Resolved): RgbImage {
  const band = createImage(o.tileSize, labelBandHeight(o.fontScale), BAND_COLOR);
  const margin = o.fontScale; // keep a font pixel clear at either side
  const shown = fitText(text, o.tileSize - 2 * margin, o.fontScale);
  const { width, mask } = renderText(shown, o.fontScale);
  const y = Math.floor((band.height - GLYPH_HEIGHT * o.fontScale) / 2);
  stamp(band, mask, width, Math.floor((o.tileSize - width) / 2), y, TEXT_COLOR);
  return band;
}

function renderTile(attention: Tensor, label: TokenLabel, o: Resolved, base: RgbImage | undefined): RgbImage {
  let heat = heatTile(normalizedMap(attention, label.index), o);
  if (base) heat = blend(base, heat, o.alpha);
  const band = labelBand(label.text, o);
  const tile = createImage(o.tileSize, o.tileSize + band.height);
  paste(tile, heat, 0, 0);
  paste(tile, band, 0, o.tileSize);
  return tile;
}

/**
 * The visualisation as an RGB buffer, for callers composing grids. Size:
 * width = n * tileSize + (n - 1) * gap, height = tileSize + labelBandHeight(fontScale).
 */
export function renderAttentionRow(attention: Tensor, labels: readonly TokenLabel[], opts: AttentionVisOptions = {}): RgbImage {
  const o = resolve(opts);
  if (labels.length === 0) throw new RangeError('renderAttentionRow needs at least one token label');
  // the input image is resized once and shared by every tile
  const base = o.image ? resizeImage(o.image, o.tileSize, o.tileSize, 'bilinear') : undefined;
  const tiles = labels.map((label) => renderTile(attention, label, o, base));
  return hstack(tiles, { gap: o.gap, background: o.background });
}

/** Writes the per-token heat-map row as a PNG (atomically) and returns the image. */
export function save_cross_attention_vis(path: string, attention: Tensor, labels: readonly TokenLabel[], opts: AttentionVisOptions = {}): RgbImage {
  const img = renderAttentionRow(attention, labels, opts);
  writePngAtomic(path, img);
  return img;
}

/** The overlay variant: each token's heat map blended over `image` (alpha defaults to 0.5). */
export function save_cross_attention_overlay(
  path: string,
  attention: Tensor,
  labels: readonly TokenLabel[],
  image: RgbImage,
  opts: Omit<AttentionVisOptions, 'image'> = {},
): RgbImage {
  return save_cross_attention_vis(path, attention, labels, { ...opts, image });
}

const SPECIAL_TOKENS = new Set(['<|startoftext|>', '<|endoftext|>', '<|pad|>', '<pad>']);

/**
 * Labels for the prompt's tokens as the original shows them: the special start/end/pad tokens
 * dropped (or those `keep` rejects), CLIP's end-of-word marker `</w>` removed from the text.
 */
export function labelsFromTokens(tokens: readonly string[], keep?: (token: string, index: number) => boolean): TokenLabel[] {
  const accept = keep ?? ((t: string) => !SPECIAL_TOKENS.has(t));
  const out: TokenLabel[] = [];
  tokens.forEach((token, index) => {
    if (accept(token, index)) out.push({ index, text: token.replace(/<\/w>$/, '') });
  });
  return out;
}
