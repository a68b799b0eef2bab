// Shared fast-check arbitraries for the core tests: shapes (size-1 dims often, size-0 where asked),
// broadcast-compatible pairs, dims (negative ones included) and float64 values kept away from the
// kinks of non-smooth ops. Arbitraries yield plain specs ({ shape, data }), not tensors, so a
// failing case prints readably and every run builds fresh leaves.
import fc from 'fast-check';
import { numel, tensor, type Tensor } from '../../core/index.js';

export interface Spec {
  shape: number[];
  data: number[];
}

export interface ShapeOptions {
  minRank?: number;
  maxRank?: number;
  /** Largest size of one dim. */
  maxDim?: number;
  /** Smallest size of one dim (0 allows empty tensors). */
  minDim?: number;
  maxNumel?: number;
}

/** One dim's size, 1 about a third of the time (where broadcasting and squeezing bite). */
export function dimSize(maxDim = 4, minDim = 1): fc.Arbitrary<number> {
  const any = fc.integer({ min: minDim, max: maxDim });
  return minDim <= 1 && maxDim >= 1 ? fc.oneof({ arbitrary: fc.constant(1), weight: 1 }, { arbitrary: any, weight: 2 }) : any;
}

export function shapeArb(o: ShapeOptions = {}): fc.Arbitrary<number[]> {
  const { minRank = 0, maxRank = 3, maxDim = 4, minDim = 1, maxNumel = 48 } = o;
  return fc.array(dimSize(maxDim, minDim), { minLength: minRank, maxLength: maxRank }).filter((s) => numel(s) <= maxNumel);
}

/** A shape that broadcasts to `out`: some leading dims dropped, some dims set to 1. */
export function broadcastableTo(out: readonly number[]): fc.Arbitrary<number[]> {
  return fc
    .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
    .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
}

/** Two shapes that broadcast together (each is `out` with dims dropped or set to 1). */
export function broadcastPairArb(o: ShapeOptions = {}): fc.Arbitrary<[number[], number[]]> {
  return shapeArb(o).chain((out) => fc.tuple(broadcastableTo(out), broadcastableTo(out)));
}

/** A dim of a rank-`rank` tensor, negative half the time (as PyTorch accepts). */
export function dimArb(rank: number): fc.Arbitrary<number> {
  const r = Math.max(rank, 1);
  return fc.integer({ min: -r, max: r - 1 });
}

/** A non-empty set of distinct dims of a rank-`rank` tensor, each possibly negative. */
export function dimsArb(rank: number): fc.Arbitrary<number[]> {
  const all = [...Array(rank).keys()];
  return fc
    .tuple(fc.subarray(all, { minLength: 1 }), fc.array(fc.boolean(), { minLength: rank, maxLength: rank }))
    .map(([ds, negs]) => ds.map((d) => (negs[d] ? d - rank : d)));
}

/**
 * Doubles in [lo, hi] at least `margin` from every point of `kinks`: a uniform draw over the
 * allowed length mapped onto the allowed intervals (no filtering, so no rejected runs).
 */
export function valueAway(lo: number, hi: number, kinks: readonly number[] = [], margin = 0.05): fc.Arbitrary<number> {
  const cuts = [...kinks].filter((k) => k + margin > lo && k - margin < hi).sort((a, b) => a - b);
  const intervals: [number, number][] = [];
  let at = lo;
  for (const k of cuts) {
    if (k - margin > at) intervals.push([at, k - margin]);
    at = Math.max(at, k + margin);
  }
  if (hi > at) intervals.push([at, hi]);
  const total = intervals.reduce((s, [a, b]) => s + (b - a), 0);
  if (!(total > 0)) throw new Error(`valueAway: nothing left of [${lo}, ${hi}] away from ${JSON.stringify(kinks)}`);
  return fc.double({ min: 0, max: total, noNaN: true }).map((u) => {
    let rest = u;
    for (const [a, b] of intervals) {
      if (rest <= b - a) return a + rest;
      rest -= b - a;
    }
    return intervals[intervals.length - 1]![1];
  });
}

export const smooth = (): fc.Arbitrary<number> => fc.double({ min: -2, max: 2, noNaN: true });

export function specArb(shape: readonly number[], value: fc.Arbitrary<number> = smooth()): fc.Arbitrary<Spec> {
  const n = numel(shape);
  // -0 becomes +0: ops that build their output by adding into zeros (cat) do not keep the sign of zero
  return fc.array(value, { minLength: n, maxLength: n }).map((data) => ({ shape: [...shape], data: data.map((v) => v + 0) }));
}

/** A spec of any generated shape. */
export function anySpecArb(o: ShapeOptions = {}, value: fc.Arbitrary<number> = smooth()): fc.Arbitrary<Spec> {
  return shapeArb(o).chain((s) => specArb(s, value));
}

/**
 * Values that are pairwise at least 0.15 apart (a shuffled ladder with jitter): no ties, so max,
 * amax and sorting-like ops stay differentiable under a 1e-6 finite-difference step.
 */
export function distinctSpecArb(shape: readonly number[]): fc.Arbitrary<Spec> {
  const n = numel(shape);
  const ladder = [...Array(n).keys()];
  return fc
    .tuple(fc.shuffledSubarray(ladder, { minLength: n, maxLength: n }), fc.array(fc.double({ min: 0, max: 0.1, noNaN: true }), { minLength: n, maxLength: n }))
    .map(([perm, jitter]) => ({ shape: [...shape], data: perm.map((p, i) => (p - n / 2) * 0.25 + jitter[i]!) }));
}

/** A float64 leaf that requires grad. */
export function leaf(s: Spec, requiresGrad = true): Tensor {
  return tensor(Float64Array.from(s.data), { dtype: 'float64', shape: s.shape, requires_grad: requiresGrad });
}

/** A float64 constant (no grad). */
export function constant(s: Spec): Tensor {
  return leaf(s, false);
}
