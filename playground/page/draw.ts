// Pixels onto canvases: RGB images, masks in a concept's colour, attention maps as heat (the
// project's colormap, bas/vis/colormap.ts), and a map laid over the image it was computed on.
import { colormapIndex, colormapLut } from '../../bas/vis/colormap.js';

const LUT = colormapLut('jet');

/** Distinct colours for concepts 0, 1, ... (Okabe and Ito). */
export const CONCEPT_COLOURS: readonly (readonly [number, number, number])[] = [
  [230, 159, 0],
  [86, 180, 233],
  [0, 158, 115],
  [240, 228, 66],
  [0, 114, 178],
  [213, 94, 0],
  [204, 121, 167],
  [120, 120, 120],
];

export function canvas(width: number, height: number, cls = 'pix small'): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  c.className = cls;
  return c;
}

function put(c: HTMLCanvasElement, width: number, height: number, pixel: (p: number, out: Uint8ClampedArray, o: number) => void): void {
  c.width = width;
  c.height = height;
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(width, height);
  for (let p = 0; p < width * height; p++) {
    pixel(p, img.data, p * 4);
    img.data[p * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

export function drawRgb(c: HTMLCanvasElement, width: number, height: number, rgb: Uint8Array): void {
  put(c, width, height, (p, d, o) => d.set(rgb.subarray(p * 3, p * 3 + 3), o));
}

/** White where the mask is on, in the concept's colour at half strength where partly on. */
export function drawMask(c: HTMLCanvasElement, width: number, height: number, mask: Uint8Array, colour: readonly number[]): void {
  put(c, width, height, (p, d, o) => {
    const a = mask[p]! / 255;
    for (let k = 0; k < 3; k++) d[o + k] = Math.round(a * colour[k]! + (1 - a) * 24);
  });
}

export function drawHeat(c: HTMLCanvasElement, res: number, values: Float32Array): void {
  put(c, res, res, (p, d, o) => {
    const k = colormapIndex(values[p]!) * 3;
    d[o] = LUT[k]!;
    d[o + 1] = LUT[k + 1]!;
    d[o + 2] = LUT[k + 2]!;
  });
}

/** The map (res x res, nearest-upscaled) over the image, half and half. */
export function drawOverlay(c: HTMLCanvasElement, width: number, height: number, rgb: Uint8Array, res: number, values: Float32Array): void {
  put(c, width, height, (p, d, o) => {
    const y = Math.floor(((p / width) | 0) * (res / height));
    const x = Math.floor((p % width) * (res / width));
    const k = colormapIndex(values[y * res + x]!) * 3;
    for (let j = 0; j < 3; j++) d[o + j] = Math.round(0.5 * rgb[p * 3 + j]! + 0.5 * LUT[k + j]!);
  });
}

/** A canvas with a caption under it. */
export function figure(c: HTMLCanvasElement, caption: string): HTMLElement {
  const f = document.createElement('figure');
  const cap = document.createElement('figcaption');
  cap.textContent = caption;
  f.append(c, cap);
  return f;
}
