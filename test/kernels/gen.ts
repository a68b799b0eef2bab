// Inputs for kernel parity: fast-check picks shapes (odd sizes, size 1, sizes that are not
// multiples of any tile: 4x8 SIMD panels, 4x4 JS tiles, SIMD quads) and a seed; values come from
// a seeded generator on a grid of float32-exact numbers with 0 and +-1 mixed in.
import fc from 'fast-check';
import { HostStorage } from '../../kernels/index.js';

export function values(seed: number, n: number, lo = -2, hi = 2): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const u = (s >>> 0) / 4294967296;
    const pick = (s >>> 3) % 16;
    // a few exact specials, the rest on a 1/1024 grid
    out[i] = pick === 0 ? 0 : pick === 1 && lo <= -1 ? -1 : pick === 2 && hi >= 1 ? 1 : Math.round((lo + u * (hi - lo)) * 1024) / 1024;
  }
  return out;
}

export const host = (seed: number, n: number, lo = -2, hi = 2): HostStorage => new HostStorage(values(seed, n, lo, hi));

export const seed = fc.integer({ min: 1, max: 0x7fffffff });
/** A dim: 1 often, odd and tile-misaligned sizes otherwise. */
export const dim = (max = 9): fc.Arbitrary<number> => fc.oneof(fc.constant(1), fc.integer({ min: 1, max }), fc.constantFrom(3, 5, 7, 9, 13, 17).filter((v) => v <= Math.max(max, 3)));

export const shape = (minRank = 1, maxRank = 4, max = 6): fc.Arbitrary<number[]> =>
  fc.integer({ min: minRank, max: maxRank }).chain((r) => fc.array(dim(max), { minLength: r, maxLength: r }));

/** A shape and a broadcast partner of the same rank (some dims set to 1). */
export const broadcastPair = fc.tuple(shape(1, 4, 5), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }))
  .map(([s, ma, mb]) => ({ out: s, a: s.map((d, i) => (ma[i] ? 1 : d)), b: s.map((d, i) => (mb[i] ? 1 : d)) }));

/**
 * Max violation of |got - want| <= atol + rtol * |want|, as a message (null when within).
 * NaN matches NaN, and equal infinities match.
 */
export function mismatch(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): string | null {
  if (got.length !== want.length) return `length ${got.length} vs ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (g === w) continue;
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) return `at ${i}: got ${g}, want ${w} (atol ${atol}, rtol ${rtol})`;
  }
  return null;
}
