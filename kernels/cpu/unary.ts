// Elementwise maps, each with its derivative beside it. `d` receives x and f(x) so that ops whose
// derivative is cheapest in terms of the output (sigmoid, tanh, exp) use it.
import type { UnaryOp } from '../backend.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2 = 1 / Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * erf to double precision: erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (2n+1)!!, a series of
 * positive terms (no cancellation); past |x| = 6 erf is +-1 within 2e-17.
 */
export function erf(x: number): number {
  const z = Math.abs(x);
  if (z >= 6) return x > 0 ? 1 : -1;
  const z2 = z * z;
  let term = z;
  let sum = z;
  for (let n = 1; n < 200; n++) {
    term *= (2 * z2) / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  const r = (2 / Math.sqrt(Math.PI)) * Math.exp(-z2) * sum;
  return x >= 0 ? r : -r;
}

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

export interface UnaryFn {
  f(x: number): number;
  d(x: number, y: number): number;
}

export const UNARY: Record<UnaryOp, UnaryFn> = {
  neg: { f: (x) => -x, d: () => -1 },
  exp: { f: Math.exp, d: (_x, y) => y },
  log: { f: Math.log, d: (x) => 1 / x },
  sqrt: { f: Math.sqrt, d: (_x, y) => 0.5 / y },
  abs: { f: Math.abs, d: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0) },
  sigmoid: { f: sigmoid, d: (_x, y) => y * (1 - y) },
  tanh: { f: Math.tanh, d: (_x, y) => 1 - y * y },
  silu: {
    f: (x) => x * sigmoid(x),
    d: (x) => {
      const s = sigmoid(x);
      return s * (1 + x * (1 - s));
    },
  },
  // exact gelu: x * Phi(x); Phi' = standard normal density
  gelu: {
    f: (x) => 0.5 * x * (1 + erf(x * INV_SQRT_2)),
    d: (x) => 0.5 * (1 + erf(x * INV_SQRT_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x),
  },
  gelu_tanh: {
    f: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))),
    d: (x) => {
      const u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
      const t = Math.tanh(u);
      const du = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du;
    },
  },
  // CLIP's activation: x * sigmoid(1.702 x)
  quick_gelu: {
    f: (x) => x * sigmoid(1.702 * x),
    d: (x) => {
      const s = sigmoid(1.702 * x);
      return s + 1.702 * x * s * (1 - s);
    },
  },
  relu: { f: (x) => (x > 0 ? x : 0), d: (x) => (x > 0 ? 1 : 0) },
  square: { f: (x) => x * x, d: (x) => 2 * x },
  reciprocal: { f: (x) => 1 / x, d: (_x, y) => -y * y },
  sin: { f: Math.sin, d: Math.cos },
  cos: { f: Math.cos, d: (x) => -Math.sin(x) },
};
