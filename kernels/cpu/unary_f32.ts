// Float32 loops for the activations the models run, each op its own loop (a closure call per
// element through the UNARY table cost ~3x), and gelu on the fast erf (erf32.ts). The same
// formulas as unary.ts in the same order, so apart from gelu the results equal the table's
// bit for bit; only ever called with Float32Array so V8 keeps them monomorphic. Float64 and the
// remaining ops take the table in unary.ts.
import type { UnaryOp } from '../backend.js';
import { erf32 } from './erf32.js';

const INV_SQRT_2 = 1 / Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

const sigmoid = (x: number): number => {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
};

/** out = op(x) when `op` has a loop here; false (nothing written) otherwise. */
export function unaryF32(op: UnaryOp, x: Float32Array, out: Float32Array): boolean {
  const n = x.length;
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) out[i] = -x[i]!; return true;
    case 'exp': for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]!); return true;
    case 'sqrt': for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]!); return true;
    case 'square': for (let i = 0; i < n; i++) out[i] = x[i]! * x[i]!; return true;
    case 'relu': for (let i = 0; i < n; i++) out[i] = x[i]! > 0 ? x[i]! : 0; return true;
    case 'sigmoid': for (let i = 0; i < n; i++) out[i] = sigmoid(x[i]!); return true;
    case 'silu': for (let i = 0; i < n; i++) out[i] = x[i]! * sigmoid(x[i]!); return true;
    case 'gelu':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        out[i] = 0.5 * v * (1 + erf32(v * INV_SQRT_2));
      }
      return true;
    default: return false;
  }
}

/** out = dy * op'(x) when `op` has a loop here; false otherwise. */
export function unaryGradF32(op: UnaryOp, x: Float32Array, dy: Float32Array, out: Float32Array): boolean {
  const n = x.length;
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) out[i] = -dy[i]!; return true;
    case 'exp': for (let i = 0; i < n; i++) out[i] = dy[i]! * Math.exp(x[i]!); return true;
    case 'square': for (let i = 0; i < n; i++) out[i] = dy[i]! * (2 * x[i]!); return true;
    case 'relu': for (let i = 0; i < n; i++) out[i] = dy[i]! * (x[i]! > 0 ? 1 : 0); return true;
    case 'sigmoid':
      for (let i = 0; i < n; i++) {
        const s = sigmoid(x[i]!);
        out[i] = dy[i]! * (s * (1 - s));
      }
      return true;
    case 'silu':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        const s = sigmoid(v);
        out[i] = dy[i]! * (s * (1 + v * (1 - s)));
      }
      return true;
    case 'gelu':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        out[i] = dy[i]! * (0.5 * (1 + erf32(v * INV_SQRT_2)) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
      }
      return true;
    default: return false;
  }
}
