// Test-side references, computed from the formulas without the library.
import { expect } from 'vitest';
import { Tensor } from '../../core/index.js';

/** SD's scaled_linear alphas_cumprod, straight from the definition. */
export function scaledLinearAlphasCumprod(b0 = 0.00085, b1 = 0.012, n = 1000): number[] {
  const out: number[] = [];
  let p = 1;
  for (let i = 0; i < n; i++) {
    const s = Math.sqrt(b0) + ((Math.sqrt(b1) - Math.sqrt(b0)) * i) / (n - 1);
    p *= 1 - s * s;
    out.push(p);
  }
  return out;
}

export function expectClose(actual: Tensor | ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-12): void {
  const a = actual instanceof Tensor ? actual.data : actual;
  expect(a.length).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - expected[i]!);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  if (!(worst <= atol)) expect.fail(`max abs diff ${worst} at ${at} (actual ${a[at]}, expected ${expected[at]}) > ${atol}`);
}

/** Elementwise map over flat arrays. */
export function zipMap(xs: ArrayLike<number>[], f: (...v: number[]) => number): number[] {
  return Array.from({ length: xs[0]!.length }, (_, i) => f(...xs.map((x) => x[i]!)));
}
