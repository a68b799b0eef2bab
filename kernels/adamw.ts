// One AdamW update of a parameter's values, for nn/optim/adamw.ts: on both cores where the arrays
// live in the SIMD engine's shared memory, else the same loop on this thread (cpu/rows.ts).
import { adamwRows } from './cpu/rows.js';
import { simdAdamW, type AdamWScalars } from './simd/adamw.js';
import type { TypedArray } from './types.js';

export type { AdamWScalars };

/** m and v move in place; the new values go to `out`. */
export function adamwUpdate(x: TypedArray, g: TypedArray, m: TypedArray, v: TypedArray, out: TypedArray, h: AdamWScalars): void {
  const f32 = [x, g, m, v, out].every((a) => a instanceof Float32Array);
  if (f32 && simdAdamW(x as Float32Array, g as Float32Array, m as Float32Array, v as Float32Array, out as Float32Array, h)) return;
  adamwRows(x, 0, g, 0, m, 0, v, 0, out, 0, h.b1, h.b2, h.stepSize, h.decay, h.bc2, h.eps, 0, x.length);
}
