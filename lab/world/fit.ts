// Fitting shape templates to a region: for each shape, the centre (on the half-pixel grid) and
// radius whose rendered template disagrees with the fewest known pixels. Pixels are marked
// region (the object's colour), background, or ignore (another object's colour, which may hide
// part of this one). Because templates are rendered with the renderer's own gauge functions and
// radii are resolved to 1/8 px, a clean rendered object fits its own shape with zero errors.
import { SHAPE_NAMES, SHAPES, type ShapeName } from './shapes.js';

export const STATE_BACKGROUND = 0;
export const STATE_REGION = 1;
export const STATE_IGNORE = 2;

export interface ShapeFit {
  shape: ShapeName;
  /** Known pixels the best template gets wrong: region pixels outside it plus background pixels inside it. */
  errors: number;
  cx: number;
  cy: number;
  radius: number;
}

export interface FitOptions {
  minRadius: number;
  maxRadius: number;
  /** Coarse centre grid spacing in pixels before the half-pixel refinement (default 1). */
  coarseStep?: number;
  /** Coarse centres per shape that are refined (default 3). */
  refineStarts?: number;
}

/** Radii are resolved in 1/BINS px: thresholds at multiples of 1/8 (generated radii are multiples of 1/4, ring holes half that) are exact. */
const BINS = 8;

interface QuantTable {
  half: number; // offsets -half..half in half-pixel units
  span: number;
  q: Uint16Array;
}

const tableCache = new Map<string, QuantTable>();

/** ceil(g * BINS), capped at `qmax + 1`, for every half-pixel offset within `half` half-pixels. */
function quantTable(shape: ShapeName, half: number, qmax: number): QuantTable {
  const key = `${shape}:${half}:${qmax}`;
  const hit = tableCache.get(key);
  if (hit) return hit;
  const span = 2 * half + 1;
  const q = new Uint16Array(span * span);
  const gauge = SHAPES[shape].gauge;
  for (let iy = 0; iy < span; iy++) {
    for (let ix = 0; ix < span; ix++) {
      // (ix - half) / 2 is exactly the renderer's x + 0.5 - cx for centres on the half-pixel grid
      const g = gauge((ix - half) / 2, (iy - half) / 2);
      q[iy * span + ix] = Math.min(Math.ceil(g * BINS), qmax + 1);
    }
  }
  const t = { half, span, q };
  tableCache.set(key, t);
  return t;
}

interface Window {
  /** Known pixels as (2y + 1) * span + (2x + 1): doubled pixel-centre coordinates in table layout. */
  region: Int32Array;
  background: Int32Array;
  bbox: { x0: number; y0: number; x1: number; y1: number };
}

function buildWindow(state: Uint8Array, width: number, height: number, pad: number, span: number): Window | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (state[y * width + x] !== STATE_REGION) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return null;
  // background further than `pad` from the region only adds errors to templates that already
  // cross the padding ring, so it cannot change which template wins
  const wx0 = Math.max(0, x0 - pad);
  const wy0 = Math.max(0, y0 - pad);
  const wx1 = Math.min(width - 1, x1 + pad);
  const wy1 = Math.min(height - 1, y1 + pad);
  const region: number[] = [];
  const background: number[] = [];
  for (let y = wy0; y <= wy1; y++) {
    for (let x = wx0; x <= wx1; x++) {
      const s = state[y * width + x];
      if (s === STATE_IGNORE) continue;
      (s === STATE_REGION ? region : background).push((2 * y + 1) * span + 2 * x + 1);
    }
  }
  return { region: Int32Array.from(region), background: Int32Array.from(background), bbox: { x0, y0, x1, y1 } };
}

interface Eval {
  errors: number;
  radius: number;
}

/** Scratch histograms reused across evaluations. */
class Scorer {
  private readonly reg: Int32Array;
  private readonly bg: Int32Array;
  constructor(
    private readonly win: Window,
    private readonly qmax: number,
    private readonly qmin: number,
  ) {
    this.reg = new Int32Array(qmax + 2);
    this.bg = new Int32Array(qmax + 2);
  }

  /** Best radius for a template of `table` centred at (cx2 / 2, cy2 / 2). */
  evaluate(table: QuantTable, inner: number, cx2: number, cy2: number): Eval {
    const { reg, bg, win, qmax, qmin } = this;
    reg.fill(0);
    bg.fill(0);
    const { half, span, q } = table;
    // table index of a pixel = its packed doubled coordinates minus the centre's, plus the origin;
    // the table is big enough for every centre the search visits, so no bounds checks
    const shift = (half - cy2) * span + half - cx2;
    const rp = win.region;
    const bp = win.background;
    for (let i = 0; i < rp.length; i++) reg[q[rp[i]! + shift]!]!++;
    for (let i = 0; i < bp.length; i++) bg[q[bp[i]! + shift]!]!++;
    // cumulative counts: pixels with ceil(BINS g) <= b are inside radius b / BINS
    for (let b = 1; b <= qmax + 1; b++) {
      reg[b]! += reg[b - 1]!;
      bg[b]! += bg[b - 1]!;
    }
    const total = win.region.length;
    let best = Infinity;
    let bStart = qmin;
    let bEnd = qmin;
    let run = false;
    for (let b = qmin; b <= qmax; b++) {
      let err: number;
      if (inner === 0) {
        err = total - reg[b]! + bg[b]!;
      } else {
        // ring: inside iff inner * r < g <= r; exact when inner * b is a whole bin
        const h = inner * b;
        if (!Number.isInteger(h)) continue;
        err = total - (reg[b]! - reg[h]!) + (bg[b]! - bg[h]!);
      }
      if (err < best) {
        best = err;
        bStart = b;
        bEnd = b;
        run = true;
      } else if (err === best && run) {
        bEnd = b;
      } else {
        run = false;
      }
    }
    return { errors: best, radius: (bStart + bEnd) / 2 / BINS };
  }
}

/** Share of the region's bounding box, on each side, where no centre is tried. */
const CENTRE_MARGIN = 0.15;

/**
 * The best fit of every shape to the region in `state` (width x height, values STATE_*), sorted
 * by errors (ties in SHAPE_NAMES order). Empty when the region is empty.
 *
 * Search: centres on a coarse grid over the middle of the region's bounding box (an object at
 * least 60% visible keeps its centre there), then hill-climbing from the best few down to the
 * half-pixel grid; for each centre the best radius comes from one pass over the pixels.
 */
export function fitShapes(state: Uint8Array, width: number, height: number, opts: FitOptions): ShapeFit[] {
  // every centre visited stays within [-8, 2 * side + 8] half-pixels, so offsets fit the table
  const half = 2 * Math.max(width, height) + 10;
  const span = 2 * half + 1;
  const win = buildWindow(state, width, height, 2, span);
  if (win === null) return [];
  const qmin = Math.floor(opts.minRadius * BINS);
  const qmax = Math.ceil(opts.maxRadius * BINS);
  const scorer = new Scorer(win, qmax, qmin);
  const step2 = Math.max(1, Math.round(2 * (opts.coarseStep ?? 1)));
  const starts = opts.refineStarts ?? 3;
  // the bounding box [x0, x1 + 1] x [y0, y1 + 1] in half-pixel units, less its margins
  const { x0, y0, x1, y1 } = win.bbox;
  const mx = CENTRE_MARGIN * (x1 + 1 - x0);
  const my = CENTRE_MARGIN * (y1 + 1 - y0);
  const cxLo = Math.floor(2 * (x0 + mx));
  const cxHi = Math.ceil(2 * (x1 + 1 - mx));
  const cyLo = Math.floor(2 * (y0 + my));
  const cyHi = Math.ceil(2 * (y1 + 1 - my));
  const inRange = (cx2: number, cy2: number): boolean => cx2 >= cxLo - 4 && cx2 <= cxHi + 4 && cy2 >= cyLo - 4 && cy2 <= cyHi + 4;

  const fits: ShapeFit[] = [];
  for (const shape of SHAPE_NAMES) {
    const def = SHAPES[shape];
    const table = quantTable(shape, half, qmax);
    const seen = new Map<number, Eval>();
    const evalAt = (cx2: number, cy2: number): Eval => {
      const key = cy2 * 65536 + cx2;
      let e = seen.get(key);
      if (e === undefined) {
        e = scorer.evaluate(table, def.inner, cx2, cy2);
        seen.set(key, e);
      }
      return e;
    };
    const coarse: { cx2: number; cy2: number; e: Eval }[] = [];
    // the grid is aligned on the box's middle, so a symmetric region's own centre is on it
    const mx2 = (cxLo + cxHi) >> 1;
    const my2 = (cyLo + cyHi) >> 1;
    for (let cy2 = my2 - Math.floor((my2 - cyLo) / step2) * step2; cy2 <= cyHi; cy2 += step2) {
      for (let cx2 = mx2 - Math.floor((mx2 - cxLo) / step2) * step2; cx2 <= cxHi; cx2 += step2) coarse.push({ cx2, cy2, e: evalAt(cx2, cy2) });
    }
    coarse.sort((a, b) => a.e.errors - b.e.errors);
    let best = coarse[0]!;
    for (const start of coarse.slice(0, starts)) {
      // hill-climb over the 8 neighbours, halving the step down to half a pixel
      let cur = start;
      for (let s = step2; s >= 1; s = s >> 1) {
        for (;;) {
          let next = cur;
          for (let dy = -s; dy <= s; dy += s) {
            for (let dx = -s; dx <= s; dx += s) {
              if ((dx === 0 && dy === 0) || !inRange(cur.cx2 + dx, cur.cy2 + dy)) continue;
              const e = evalAt(cur.cx2 + dx, cur.cy2 + dy);
              if (e.errors < next.e.errors) next = { cx2: cur.cx2 + dx, cy2: cur.cy2 + dy, e };
            }
          }
          if (next === cur) break;
          cur = next;
        }
      }
      if (cur.e.errors < best.e.errors) best = cur;
    }
    fits.push({ shape, errors: best.e.errors, cx: best.cx2 / 2, cy: best.cy2 / 2, radius: best.e.radius });
  }
  return fits.sort((a, b) => a.errors - b.errors);
}
