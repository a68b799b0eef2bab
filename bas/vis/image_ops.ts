// RGB images as plain buffers (8-bit, row-major, 3 bytes a pixel), and the few operations the
// visualisations compose them with: resampling, blending, stacking and stamping text.
import type { RgbImage } from '../io/pixels.js';

// the pixel types are bas/io's; the visualisations re-export what they compose with
export { rgbaToRgb, type RgbImage } from '../io/pixels.js';

export type Rgb = readonly [number, number, number];
export type ResampleMode = 'bilinear' | 'nearest';

export function createImage(width: number, height: number, fill: Rgb = [0, 0, 0]): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`image size must be non-negative integers, got ${width}x${height}`);
  }
  const rgb = new Uint8Array(width * height * 3);
  if (fill[0] !== 0 || fill[1] !== 0 || fill[2] !== 0) {
    for (let i = 0; i < rgb.length; i += 3) {
      rgb[i] = fill[0];
      rgb[i + 1] = fill[1];
      rgb[i + 2] = fill[2];
    }
  }
  return { width, height, rgb };
}

export function checkImage(img: RgbImage, what = 'image'): void {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 0 || img.height < 0) {
    throw new RangeError(`${what} size must be non-negative integers, got ${img.width}x${img.height}`);
  }
  if (img.rgb.length !== img.width * img.height * 3) {
    throw new RangeError(`${what} of ${img.width}x${img.height} needs ${img.width * img.height * 3} RGB bytes, got ${img.rgb.length}`);
  }
}

// One axis of a separable resampling: for each output index, the input indices and weights.
interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float64Array; // count[i] weights for output i, at offset i * stride
  stride: number;
}

// Bilinear is a triangle filter widened by the scale when shrinking (so a downscale averages
// rather than aliases) and, when enlarging, the usual half-pixel-centred interpolation with the
// edges clamped; nearest takes the input pixel under each output pixel's centre.
function taps(inSize: number, outSize: number, mode: ResampleMode): Taps {
  const scale = inSize / outSize;
  if (mode === 'nearest') {
    const start = new Int32Array(outSize);
    for (let o = 0; o < outSize; o++) start[o] = Math.min(inSize - 1, Math.floor((o + 0.5) * scale));
    return { start, count: new Int32Array(outSize).fill(1), weights: new Float64Array(outSize).fill(1), stride: 1 };
  }
  const support = Math.max(1, scale);
  const stride = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * stride);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(inSize, Math.ceil(centre + support));
    let total = 0;
    let n = 0;
    for (let i = lo; i < hi; i++) {
      const w = Math.max(0, 1 - Math.abs(i + 0.5 - centre) / support);
      weights[o * stride + n] = w;
      total += w;
      n++;
    }
    for (let k = 0; k < n; k++) weights[o * stride + k]! /= total;
    start[o] = lo;
    count[o] = n;
  }
  return { start, count, weights, stride };
}

/** Resamples a row-major (height, width, channels) float buffer to (outHeight, outWidth, channels). */
export function resample(
  src: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
  mode: ResampleMode = 'bilinear',
): Float32Array {
  if (src.length !== width * height * channels) {
    throw new RangeError(`resample: ${width}x${height}x${channels} needs ${width * height * channels} values, got ${src.length}`);
  }
  if (width < 1 || height < 1) throw new RangeError(`resample: cannot resample an empty ${width}x${height} image`);
  const tx = taps(width, outWidth, mode);
  const ty = taps(height, outHeight, mode);
  // horizontal pass into (height, outWidth), then vertical into (outHeight, outWidth)
  const mid = new Float64Array(height * outWidth * channels);
  for (let y = 0; y < height; y++) {
    for (let o = 0; o < outWidth; o++) {
      for (let k = 0; k < tx.count[o]!; k++) {
        const w = tx.weights[o * tx.stride + k]!;
        const s = (y * width + tx.start[o]! + k) * channels;
        const d = (y * outWidth + o) * channels;
        for (let c = 0; c < channels; c++) mid[d + c]! += w * src[s + c]!;
      }
    }
  }
  const out = new Float32Array(outHeight * outWidth * channels);
  for (let o = 0; o < outHeight; o++) {
    for (let k = 0; k < ty.count[o]!; k++) {
      const w = ty.weights[o * ty.stride + k]!;
      const s = (ty.start[o]! + k) * outWidth * channels;
      const d = o * outWidth * channels;
      for (let j = 0; j < outWidth * channels; j++) out[d + j]! += w * mid[s + j]!;
    }
  }
  return out;
}

export function resizeImage(img: RgbImage, width: number, height: number, mode: ResampleMode = 'bilinear'): RgbImage {
  checkImage(img);
  if (img.width === width && img.height === height) return { width, height, rgb: img.rgb.slice() };
  const out = resample(img.rgb, img.width, img.height, 3, width, height, mode);
  const rgb = new Uint8Array(out.length);
  for (let i = 0; i < out.length; i++) rgb[i] = Math.round(out[i]!); // Uint8Array clamps
  return { width, height, rgb };
}

/** (1 - alpha) * base + alpha * top, per pixel; both the same size. */
export function blend(base: RgbImage, top: RgbImage, alpha: number): RgbImage {
  checkImage(base, 'base image');
  checkImage(top, 'top image');
  if (base.width !== top.width || base.height !== top.height) {
    throw new RangeError(`blend needs images of one size, got ${base.width}x${base.height} and ${top.width}x${top.height}`);
  }
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${alpha}`);
  const rgb = new Uint8Array(base.rgb.length);
  for (let i = 0; i < rgb.length; i++) rgb[i] = Math.round((1 - alpha) * base.rgb[i]! + alpha * top.rgb[i]!);
  return { width: base.width, height: base.height, rgb };
}

/** Copies `src` into `dst` with its top-left corner at (x, y), clipped to `dst`. */
export function paste(dst: RgbImage, src: RgbImage, x: number, y: number): void {
  const x0 = Math.max(0, x);
  const x1 = Math.min(dst.width, x + src.width);
  if (x1 <= x0) return;
  for (let sy = Math.max(0, -y); sy < src.height && y + sy < dst.height; sy++) {
    const from = (sy * src.width + (x0 - x)) * 3;
    dst.rgb.set(src.rgb.subarray(from, from + (x1 - x0) * 3), ((y + sy) * dst.width + x0) * 3);
  }
}

/** Paints `color` wherever `mask` (maskWidth wide, row-major) is non-zero, at (x, y), clipped. */
export function stamp(dst: RgbImage, mask: Uint8Array, maskWidth: number, x: number, y: number, color: Rgb): void {
  const maskHeight = maskWidth === 0 ? 0 : mask.length / maskWidth;
  for (let my = 0; my < maskHeight; my++) {
    const py = y + my;
    if (py < 0 || py >= dst.height) continue;
    for (let mx = 0; mx < maskWidth; mx++) {
      const px = x + mx;
      if (px < 0 || px >= dst.width || !mask[my * maskWidth + mx]) continue;
      const d = (py * dst.width + px) * 3;
      dst.rgb[d] = color[0];
      dst.rgb[d + 1] = color[1];
      dst.rgb[d + 2] = color[2];
    }
  }
}

export interface StackOptions {
  /** Pixels between neighbouring images (default 0). */
  gap?: number;
  /** Colour of the gaps and of the padding under/beside smaller images (default white). */
  background?: Rgb;
}

/** Images side by side, top-aligned: width = sum of widths + gaps, height = the tallest. */
export function hstack(images: readonly RgbImage[], opts: StackOptions = {}): RgbImage {
  const gap = checkGap(opts.gap);
  images.forEach((img, i) => checkImage(img, `image ${i}`));
  const width = images.reduce((s, img) => s + img.width, 0) + gap * Math.max(0, images.length - 1);
  const height = images.reduce((m, img) => Math.max(m, img.height), 0);
  const out = createImage(width, height, opts.background ?? [255, 255, 255]);
  let x = 0;
  for (const img of images) {
    paste(out, img, x, 0);
    x += img.width + gap;
  }
  return out;
}

/** Images one above another, left-aligned: height = sum of heights + gaps, width = the widest. */
export function vstack(images: readonly RgbImage[], opts: StackOptions = {}): RgbImage {
  const gap = checkGap(opts.gap);
  images.forEach((img, i) => checkImage(img, `image ${i}`));
  const width = images.reduce((m, img) => Math.max(m, img.width), 0);
  const height = images.reduce((s, img) => s + img.height, 0) + gap * Math.max(0, images.length - 1);
  const out = createImage(width, height, opts.background ?? [255, 255, 255]);
  let y = 0;
  for (const img of images) {
    paste(out, img, 0, y);
    y += img.height + gap;
  }
  return out;
}

/** Images in rows of `columns`, e.g. a sample grid. */
export function grid(images: readonly RgbImage[], columns: number, opts: StackOptions = {}): RgbImage {
  if (!Number.isInteger(columns) || columns < 1) throw new RangeError(`grid columns must be a positive integer, got ${columns}`);
  const rows: RgbImage[] = [];
  for (let i = 0; i < images.length; i += columns) rows.push(hstack(images.slice(i, i + columns), opts));
  return vstack(rows, opts);
}

function checkGap(gap: number | undefined): number {
  const g = gap ?? 0;
  if (!Number.isInteger(g) || g < 0) throw new RangeError(`gap must be a non-negative integer, got ${g}`);
  return g;
}
