// Perturbed training masks for the mask-robustness measurement of `bas eval --mask_noise`: the
// paper says loose masks are enough; these make them loose (or tight) in known ways. Each is a pure
// function of a binary mask (any value > 0 is marked) and returns a 0/255 mask of the same size.

export const MASK_NOISES = ['dilate', 'erode', 'bbox', 'grid8'] as const;
export type MaskNoise = (typeof MASK_NOISES)[number];

/** A grey mask, row-major, `width * height` values. */
export interface GrayMask {
  width: number;
  height: number;
  data: Uint8Array;
}

function checked(m: GrayMask): void {
  if (m.data.length !== m.width * m.height) throw new Error(`mask of ${m.width}x${m.height} holds ${m.data.length} values, expected ${m.width * m.height}`);
}

/** One step of a 3x3 square structuring element: `grow` marks a pixel when any neighbour is marked, else only when all are (outside the image counts as unmarked). */
function step(m: GrayMask, grow: boolean): GrayMask {
  const { width: w, height: h, data } = m;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let any = false;
      let all = true;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          const on = yy >= 0 && yy < h && xx >= 0 && xx < w && data[yy * w + xx]! > 0;
          any ||= on;
          all &&= on;
        }
      }
      out[y * w + x] = (grow ? any : all) ? 255 : 0;
    }
  }
  return { width: w, height: h, data: out };
}

const binary = (m: GrayMask): GrayMask => ({ ...m, data: m.data.map((v) => (v > 0 ? 255 : 0)) });
const marked = (m: GrayMask): number => m.data.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);

/** Grown by `pixels` in every direction (Chebyshev distance: a square element). */
export function dilateMask(m: GrayMask, pixels: number): GrayMask {
  checked(m);
  let out = binary(m);
  for (let i = 0; i < pixels; i++) out = step(out, true);
  return out;
}

/**
 * Shrunk by `pixels`; a step that would leave nothing is not taken (a thin or small object keeps
 * its last non-empty core: an empty training mask would be an error, not a loose mask).
 */
export function erodeMask(m: GrayMask, pixels: number): GrayMask {
  checked(m);
  let out = binary(m);
  for (let i = 0; i < pixels; i++) {
    const next = step(out, false);
    if (marked(next) === 0) break;
    out = next;
  }
  return out;
}

/** The tightest axis-aligned rectangle holding every marked pixel (an empty mask stays empty). */
export function bboxMask(m: GrayMask): GrayMask {
  checked(m);
  const { width: w, height: h, data } = m;
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (data[y * w + x]! > 0) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  const out = new Uint8Array(w * h);
  for (let y = y0; y <= y1; y++) out.fill(255, y * w + x0, y * w + x1 + 1);
  return { width: w, height: h, data: out };
}

/**
 * A coarse `cells` x `cells` grid over the image (cell edges at floor(i * size / cells)): a cell is
 * marked whole when any of its pixels is, as a user clicking cells of an 8x8 grid would mark it.
 */
export function gridMask(m: GrayMask, cells: number): GrayMask {
  checked(m);
  const { width: w, height: h, data } = m;
  const out = new Uint8Array(w * h);
  const edges = (size: number): number[] => Array.from({ length: cells + 1 }, (_, i) => Math.floor((i * size) / cells));
  const ex = edges(w);
  const ey = edges(h);
  for (let cy = 0; cy < cells; cy++) {
    for (let cx = 0; cx < cells; cx++) {
      let on = false;
      for (let y = ey[cy]!; y < ey[cy + 1]! && !on; y++) for (let x = ex[cx]!; x < ex[cx + 1]! && !on; x++) on = data[y * w + x]! > 0;
      if (on) for (let y = ey[cy]!; y < ey[cy + 1]!; y++) out.fill(255, y * w + ex[cx]!, y * w + ex[cx + 1]!);
    }
  }
  return { width: w, height: h, data: out };
}

/** The named perturbation; `pixels` is the dilation or erosion radius (bbox and grid8 ignore it). */
export function perturbMask(m: GrayMask, noise: MaskNoise, pixels: number): GrayMask {
  switch (noise) {
    case 'dilate':
      return dilateMask(m, pixels);
    case 'erode':
      return erodeMask(m, pixels);
    case 'bbox':
      return bboxMask(m);
    case 'grid8':
      return gridMask(m, 8);
  }
}

/** Intersection over union of two binary masks (how far a perturbed mask is from the true one). */
export function maskIoU(a: GrayMask, b: GrayMask): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i]! > 0;
    const y = b.data[i]! > 0;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}
