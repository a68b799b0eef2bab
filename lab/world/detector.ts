// The rule-based detector that judges images of the world (generated or real renders): which
// palette colours are present as objects, each one's shape, size and position. Steps: label every
// pixel with the nearest palette colour within `tolerance` (else background); per colour, keep the
// connected pieces above a speck size and treat specks as unknown; fit every shape's template to
// the colour's pixels, with other colours' pixels unknown (they may hide part of it); the shape
// with the fewest wrong pixels wins. On clean renders the true shape fits with zero errors.
import { COLOURS, type ColourName } from './palette.js';
import { fitShapes, STATE_BACKGROUND, STATE_IGNORE, STATE_REGION, type ShapeFit } from './fit.js';
import type { SizeName } from './scene.js';
import type { ShapeName } from './shapes.js';

export interface Detection {
  colour: ColourName;
  shape: ShapeName;
  /** Centroid of the colour's pixels. */
  cx: number;
  cy: number;
  /** Pixels of this colour (specks excluded). */
  area: number;
  /** 1 - wrong pixels of the best template / area, in [0, 1]; 1 on clean renders. */
  score: number;
  /** The best template's centre and radius, and the size class that radius implies. */
  fit: { cx: number; cy: number; radius: number };
  size: SizeName;
  /** The second-best shape and its score: a small gap means an uncertain call. */
  runnerUp: { shape: ShapeName; score: number } | null;
}

export interface DetectOptions {
  /** Largest RGB distance from a palette colour still counted as that colour (default 60). */
  tolerance?: number;
  /**
   * Pixels farther than `tolerance` but within this distance of a palette colour are unsure
   * (blurred edges: half object, half background) and count as unknown (default 100; every
   * background shade of the world is >= 113 from every palette colour).
   */
  unsureTolerance?: number;
  /** Colours with fewer pixels than this are not objects (default 12 px at 32x32, scaled with area). */
  minArea?: number;
  /** Connected pieces smaller than this are specks: unknown, not object (default 3 px at 32x32, scaled). */
  minComponentArea?: number;
}

/** Reference sizes at 32x32; everything scales with resolution / 32. */
export const REFERENCE_RESOLUTION = 32;
/** Radius ranges of the two sizes at 32x32 (pixels); multiples of 1/4. */
export const SIZE_RADIUS_RANGES: Readonly<Record<SizeName, readonly [number, number]>> = { small: [5, 6], large: [7.5, 9] };
/** Templates are tried from 0.7x the smallest to 1.25x the largest generated radius. */
export const FIT_RADIUS_RANGE = [3.5, 11.25] as const;
const SIZE_THRESHOLD = (SIZE_RADIUS_RANGES.small[1] + SIZE_RADIUS_RANGES.large[0]) / 2;
/** Default minimum object area and speck size, in pixels at 32x32 (scaled with image area). */
export const MIN_AREA_32 = 12;
export const MIN_COMPONENT_AREA_32 = 3;
const DEFAULT_TOLERANCE = 60;
const DEFAULT_UNSURE_TOLERANCE = 100;
/** Labels besides palette indices. */
export const LABEL_BACKGROUND = -1;
export const LABEL_UNSURE = -2;

function scaleOf(width: number, height: number): number {
  return Math.min(width, height) / REFERENCE_RESOLUTION;
}

/**
 * Palette index of every pixel by nearest colour within `tolerance`; LABEL_UNSURE within
 * `unsureTolerance`, else LABEL_BACKGROUND.
 */
export function labelPixels(
  rgb: Uint8Array, width: number, height: number, tolerance = DEFAULT_TOLERANCE, unsureTolerance = DEFAULT_UNSURE_TOLERANCE,
): Int8Array {
  if (rgb.length !== width * height * 3) throw new Error(`labelPixels: ${rgb.length} bytes for ${width}x${height} RGB`);
  const out = new Int8Array(width * height);
  const t2 = tolerance * tolerance;
  const u2 = Math.max(tolerance, unsureTolerance) ** 2;
  for (let p = 0; p < out.length; p++) {
    const r = rgb[p * 3]!;
    const g = rgb[p * 3 + 1]!;
    const b = rgb[p * 3 + 2]!;
    let best = -1;
    let bestD = Infinity;
    for (let c = 0; c < COLOURS.length; c++) {
      const [cr, cg, cb] = COLOURS[c]!.rgb;
      const d = (r - cr) ** 2 + (g - cg) ** 2 + (b - cb) ** 2;
      if (d < bestD) {
        bestD = d;
        best = c;
      }
    }
    out[p] = bestD <= t2 ? best : bestD <= u2 ? LABEL_UNSURE : LABEL_BACKGROUND;
  }
  return out;
}

export interface ColourRegion {
  /** Per pixel: STATE_REGION (this colour), STATE_BACKGROUND, or STATE_IGNORE (other colours, specks). */
  state: Uint8Array;
  area: number;
  cx: number;
  cy: number;
}

/**
 * The pixels of palette colour `colour` as a fitting state: background labels are background;
 * other colours, unsure pixels and specks (8-connected pieces < minComponentArea) are unknown.
 */
export function colourRegion(labels: Int8Array, width: number, height: number, colour: number, minComponentArea: number): ColourRegion | null {
  const state = new Uint8Array(width * height);
  for (let p = 0; p < state.length; p++) state[p] = labels[p] === LABEL_BACKGROUND ? STATE_BACKGROUND : STATE_IGNORE;
  const seen = new Uint8Array(width * height);
  const stack: number[] = [];
  let area = 0;
  let sx = 0;
  let sy = 0;
  for (let start = 0; start < labels.length; start++) {
    if (labels[start] !== colour || seen[start]) continue;
    const piece: number[] = [];
    seen[start] = 1;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop()!;
      piece.push(p);
      const x = p % width;
      const y = (p - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const q = ny * width + nx;
          if (labels[q] === colour && !seen[q]) {
            seen[q] = 1;
            stack.push(q);
          }
        }
      }
    }
    if (piece.length < minComponentArea) continue; // a speck stays STATE_IGNORE
    for (const p of piece) {
      state[p] = STATE_REGION;
      sx += p % width;
      sy += Math.floor(p / width);
    }
    area += piece.length;
  }
  if (area === 0) return null;
  return { state, area, cx: sx / area + 0.5, cy: sy / area + 0.5 };
}

/** Shape fits of a region with the world's radius range at this image size, best first. */
export function fitRegion(state: Uint8Array, width: number, height: number): ShapeFit[] {
  const s = scaleOf(width, height);
  return fitShapes(state, width, height, { minRadius: FIT_RADIUS_RANGE[0] * s, maxRadius: FIT_RADIUS_RANGE[1] * s, coarseStep: 2 * s });
}

export function sizeOfRadius(radius: number, width: number, height: number): SizeName {
  return radius < SIZE_THRESHOLD * scaleOf(width, height) ? 'small' : 'large';
}

/** Objects in an RGB image (H * W * 3), one per palette colour present, in palette order. */
export function detect(rgb: Uint8Array, width: number, height: number, opts: DetectOptions = {}): Detection[] {
  const s2 = scaleOf(width, height) ** 2;
  const minArea = opts.minArea ?? Math.round(MIN_AREA_32 * s2);
  const minComponentArea = opts.minComponentArea ?? Math.max(1, Math.round(MIN_COMPONENT_AREA_32 * s2));
  const labels = labelPixels(rgb, width, height, opts.tolerance ?? DEFAULT_TOLERANCE, opts.unsureTolerance ?? DEFAULT_UNSURE_TOLERANCE);
  const out: Detection[] = [];
  for (let c = 0; c < COLOURS.length; c++) {
    const region = colourRegion(labels, width, height, c, minComponentArea);
    if (region === null || region.area < minArea) continue;
    const fits = fitRegion(region.state, width, height);
    const best = fits[0]!;
    const second = fits[1];
    const score = (f: ShapeFit): number => Math.max(0, 1 - f.errors / region.area);
    out.push({
      colour: COLOURS[c]!.name,
      shape: best.shape,
      cx: region.cx,
      cy: region.cy,
      area: region.area,
      score: score(best),
      fit: { cx: best.cx, cy: best.cy, radius: best.radius },
      size: sizeOfRadius(best.radius, width, height),
      runnerUp: second ? { shape: second.shape, score: score(second) } : null,
    });
  }
  return out;
}
