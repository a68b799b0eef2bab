// The world's shapes, each as a gauge function around its centre: g(dx, dy) is the radius at which
// the point (dx, dy) (pixels, y down) enters the shape, so "inside at radius r" is g <= r (the ring
// also needs g > inner * r). Every shape is star-shaped about its centre, which is what makes a
// gauge exist; the renderer and the detector call the same function, so the detector can match a
// rendered shape pixel for pixel. Orientation is fixed (triangle, star and heart point up).

export const SHAPE_NAMES = ['circle', 'square', 'triangle', 'star', 'heart', 'cross', 'diamond', 'ring'] as const;
export type ShapeName = (typeof SHAPE_NAMES)[number];

export interface ShapeDef {
  name: ShapeName;
  /** Homogeneous of degree 1: g(k dx, k dy) = k g(dx, dy). */
  gauge(dx: number, dy: number): number;
  /** 0 for solid shapes; for the ring, points with g <= inner * r are the hole. */
  inner: number;
  /** Extent at radius 1 (y down), for placing shapes inside the image. */
  bounds: { minX: number; maxX: number; minY: number; maxY: number };
}

type Pt = readonly [number, number];

function boundsOf(pts: readonly Pt[]): ShapeDef['bounds'] {
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return { minX: Math.min(...xs), maxX: Math.max(...xs), minY: Math.min(...ys), maxY: Math.max(...ys) };
}

/** Edge i (v_i -> v_i+1) as n / d, its outward normal over its distance from the centre. */
function edgeCoefficients(pts: readonly Pt[]): { nx: Float64Array; ny: Float64Array } {
  const n = pts.length;
  const nx = new Float64Array(n);
  const ny = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const [ax, ay] = pts[i]!;
    const [bx, by] = pts[(i + 1) % n]!;
    let ex = by - ay;
    let ey = -(bx - ax);
    let d = ex * ax + ey * ay;
    if (d < 0) {
      ex = -ex;
      ey = -ey;
      d = -d;
    }
    if (!(d > 1e-9)) throw new Error(`shape edge ${i} passes through the centre`);
    nx[i] = ex / d;
    ny[i] = ey / d;
  }
  return { nx, ny };
}

/** Convex polygon around the centre: the gauge is the largest n.p / d over the edges. */
function convexPolygon(pts: readonly Pt[]): (dx: number, dy: number) => number {
  const { nx, ny } = edgeCoefficients(pts);
  return (dx, dy) => {
    let g = 0;
    for (let i = 0; i < nx.length; i++) g = Math.max(g, nx[i]! * dx + ny[i]! * dy);
    return g;
  };
}

/**
 * Star-shaped polygon (vertices in increasing angle around the centre): the gauge is n.p / d of
 * the one edge whose angular sector holds p.
 */
function starPolygon(pts: readonly Pt[]): (dx: number, dy: number) => number {
  const ang = Float64Array.from(pts, ([x, y]) => Math.atan2(y, x));
  const order = [...ang.keys()].sort((a, b) => ang[a]! - ang[b]!);
  const sorted = order.map((i) => pts[i]!);
  const a = Float64Array.from(order, (i) => ang[i]!);
  for (let i = 0; i < sorted.length; i++) {
    // cyclic order must match the outline's order, or the polygon is not star-shaped
    const next = order[(i + 1) % order.length]!;
    if (next !== (order[i]! + 1) % pts.length && next !== (order[i]! - 1 + pts.length) % pts.length) {
      throw new Error('polygon is not star-shaped about its centre');
    }
  }
  const { nx, ny } = edgeCoefficients(sorted);
  const n = a.length;
  return (dx, dy) => {
    if (dx === 0 && dy === 0) return 0;
    const t = Math.atan2(dy, dx);
    // the last k with a[k] <= t; before a[0] the sector is the wrap-around edge n-1
    let lo = 0;
    let hi = n - 1;
    if (t < a[0]!) return nx[n - 1]! * dx + ny[n - 1]! * dy;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (a[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    return nx[lo]! * dx + ny[lo]! * dy;
  };
}

const SQUARE_HALF = 0.85;
const DIAMOND_HALF_W = 0.85;
const DIAMOND_HALF_H = 1.15;
const RING_INNER = 0.5;

const TRIANGLE: Pt[] = [[0, -0.95], [1.1, 0.95], [-1.1, 0.95]];

const STAR: Pt[] = Array.from({ length: 10 }, (_, i) => {
  const r = i % 2 === 0 ? 1.15 : 0.5;
  const t = -Math.PI / 2 + (i * Math.PI) / 5;
  return [r * Math.cos(t), r * Math.sin(t)] as const;
});

const CROSS_W = 0.4;
const CROSS: Pt[] = [
  [CROSS_W, -1], [CROSS_W, -CROSS_W], [1, -CROSS_W], [1, CROSS_W], [CROSS_W, CROSS_W], [CROSS_W, 1],
  [-CROSS_W, 1], [-CROSS_W, CROSS_W], [-1, CROSS_W], [-1, -CROSS_W], [-CROSS_W, -CROSS_W], [-CROSS_W, -1],
];

// The classic parametric heart (x = 16 sin^3 t, y = 13 cos t - 5 cos 2t - 2 cos 3t - cos 4t),
// y flipped to point down, centred on its bounding box and scaled to about the circle's size.
const HEART: Pt[] = Array.from({ length: 48 }, (_, i) => {
  const t = (2 * Math.PI * i) / 48;
  const x = 16 * Math.sin(t) ** 3;
  const y = -(13 * Math.cos(t) - 5 * Math.cos(2 * t) - 2 * Math.cos(3 * t) - Math.cos(4 * t));
  return [x / 15, (y - 2.54) / 15] as const;
});

const circleGauge = (dx: number, dy: number): number => Math.sqrt(dx * dx + dy * dy);
const unitBox = (hx: number, hy: number): ShapeDef['bounds'] => ({ minX: -hx, maxX: hx, minY: -hy, maxY: hy });

export const SHAPES: Readonly<Record<ShapeName, ShapeDef>> = {
  circle: { name: 'circle', gauge: circleGauge, inner: 0, bounds: unitBox(1, 1) },
  square: { name: 'square', gauge: (dx, dy) => Math.max(Math.abs(dx), Math.abs(dy)) / SQUARE_HALF, inner: 0, bounds: unitBox(SQUARE_HALF, SQUARE_HALF) },
  triangle: { name: 'triangle', gauge: convexPolygon(TRIANGLE), inner: 0, bounds: boundsOf(TRIANGLE) },
  star: { name: 'star', gauge: starPolygon(STAR), inner: 0, bounds: boundsOf(STAR) },
  heart: { name: 'heart', gauge: starPolygon(HEART), inner: 0, bounds: boundsOf(HEART) },
  cross: { name: 'cross', gauge: starPolygon(CROSS), inner: 0, bounds: boundsOf(CROSS) },
  diamond: {
    name: 'diamond',
    gauge: (dx, dy) => Math.abs(dx) / DIAMOND_HALF_W + Math.abs(dy) / DIAMOND_HALF_H,
    inner: 0,
    bounds: unitBox(DIAMOND_HALF_W, DIAMOND_HALF_H),
  },
  ring: { name: 'ring', gauge: circleGauge, inner: RING_INNER, bounds: unitBox(1, 1) },
};

/** Whether the offset (dx, dy) from the centre is inside `shape` at radius `r`. */
export function insideShape(shape: ShapeDef, dx: number, dy: number, r: number): boolean {
  const g = shape.gauge(dx, dy);
  return g <= r && (shape.inner === 0 || g > shape.inner * r);
}
