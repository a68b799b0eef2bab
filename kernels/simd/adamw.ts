// The AdamW update over parameters, gradients and moments in the SIMD engine's shared memory,
// shared with the worker (cpu/rows.ts's adamwRows, the loop nn/optim/adamw.ts runs otherwise).
import { adamwRows } from '../cpu/rows.js';
import { startedEngine } from './gemm.js';
import { KIND } from './worker_source.js';

/** AdamW's scalars for one parameter's step (see adamwRows). */
export interface AdamWScalars {
  b1: number;
  b2: number;
  stepSize: number;
  decay: number;
  bc2: number;
  eps: number;
}

const MIN_VALUES = 1 << 15;
const scalars = new Float64Array(6);
const scalarBits = new Int32Array(scalars.buffer);

/** Runs the update on both threads when all five float32 arrays live in the engine memory; false (nothing done) otherwise. */
export function simdAdamW(x: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, out: Float32Array, h: AdamWScalars): boolean {
  // only where a backend already started the engine (the cpu backend never does)
  const e = startedEngine();
  if (x.length < MIN_VALUES || e === null) return false;
  const at = [x, g, m, v, out].map((a) => e.addressOf(a));
  if (at.some((a) => a === null)) return false;
  const [fx, fg, fm, fv, fo] = at.map((a) => a! >>> 2) as [number, number, number, number, number];
  scalars.set([h.b1, h.b2, h.stepSize, h.decay, h.bc2, h.eps]);
  const f = e.heap();
  // the float64 scalars travel as int32 pairs
  e.runRows(KIND.adamw, [fx, fg, fm, fv, fo, ...scalarBits], x.length, 5 * x.length, (i0, i1) =>
    adamwRows(f, fx, f, fg, f, fm, f, fv, f, fo, h.b1, h.b2, h.stepSize, h.decay, h.bc2, h.eps, i0, i1),
  );
  return true;
}
