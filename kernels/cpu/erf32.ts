// A fast erf for float32 work: piecewise polynomials on [0, 4.5) in intervals of 0.5, each the
// degree-9 Chebyshev interpolant of the exact series erf (unary.ts) at load time, rewritten as a
// Horner polynomial in t = (|x| - centre) / 0.25. Interpolation error is below 1e-11 (the tests
// check |erf32 - erf| < 1e-9 on a dense grid), far under float32's half ulp (~3e-8 near 1);
// past 4.5, erf is 1 within 2e-10. Float64 keeps the exact series: gradient checks need it.
import { erf } from './unary.js';

const WIDTH = 0.5;
const PIECES = 9;
const DEGREE = 9;
const END = WIDTH * PIECES;

/** Monomial coefficients (lowest first) of the Chebyshev interpolant of f on [-1, 1]. */
function chebyshevMonomials(f: (t: number) => number, degree: number): Float64Array {
  const n = degree + 1;
  const nodes = Array.from({ length: n }, (_, k) => Math.cos((Math.PI * (k + 0.5)) / n));
  const vals = nodes.map(f);
  // c_j = 2/n sum_k f(t_k) T_j(t_k), c_0 halved
  const cheb = Array.from({ length: n }, (_, j) => ((j === 0 ? 1 : 2) / n) * vals.reduce((s, v, k) => s + v * Math.cos(j * Math.acos(nodes[k]!)), 0));
  // T_j as monomials by T_{j+1} = 2t T_j - T_{j-1}
  const out = new Float64Array(n);
  let prev = new Float64Array(n);
  let cur = new Float64Array(n);
  prev[0] = 1; // T_0
  cur[1] = 1; // T_1
  for (let j = 0; j < n; j++) {
    const tj = j === 0 ? prev : cur;
    for (let i = 0; i < n; i++) out[i]! += cheb[j]! * tj[i]!;
    if (j >= 1) {
      const next = new Float64Array(n);
      for (let i = 0; i + 1 < n; i++) next[i + 1] = 2 * cur[i]!;
      for (let i = 0; i < n; i++) next[i]! -= prev[i]!;
      prev = cur;
      cur = next;
    }
  }
  return out;
}

/** COEF[piece * (DEGREE + 1) + i]: coefficient of t^i on piece `piece`. */
const COEF = new Float64Array(PIECES * (DEGREE + 1));
for (let p = 0; p < PIECES; p++) {
  const mid = (p + 0.5) * WIDTH;
  COEF.set(chebyshevMonomials((t) => erf(mid + (t * WIDTH) / 2), DEGREE), p * (DEGREE + 1));
}

/** erf(x) within 1e-9 (absolute), for float32 results. */
export function erf32(x: number): number {
  const z = x < 0 ? -x : x;
  if (!(z < END)) return Number.isNaN(x) ? x : x < 0 ? -1 : 1;
  const p = Math.floor(z / WIDTH);
  const t = (z - (p + 0.5) * WIDTH) * (2 / WIDTH);
  const o = p * (DEGREE + 1);
  let r = COEF[o + DEGREE]!;
  for (let i = DEGREE - 1; i >= 0; i--) r = r * t + COEF[o + i]!;
  return x < 0 ? -r : r;
}
