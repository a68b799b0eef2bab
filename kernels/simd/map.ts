// Runs the SIMD activation maps over the engine's memory, quads shared with the worker: x (and dy) read in place where their
// arrays live there, else copied in padded to whole quads; the result written into its own array
// where that lives there, else copied out.
import type { UnaryOp } from '../backend.js';
import { BACKWARD, FORWARD } from './activations.js';
import { getEngine } from './gemm.js';
import { takeFull } from '../pool.js';
import { KIND } from './worker_source.js';

type MapFn = (x: number, g: number, y: number, quads: number) => void;

export function simdMapSupported(op: UnaryOp): boolean {
  return FORWARD[op] !== undefined && BACKWARD[op] !== undefined;
}

function runMap(name: string, x: Float32Array, g: Float32Array | null): Float32Array {
  const n = x.length;
  if (n === 0) return new Float32Array(0);
  const e = getEngine();
  const fn = e.maps[name] as MapFn;
  const padded = (n + 3) & ~3;
  const out = takeFull(n);
  // arrays that live in the engine's memory are read and written where they are: their blocks are
  // whole cache lines, so the last partial quad stays inside them
  const xAt = e.addressOf(x);
  const gAt = g ? e.addressOf(g) : 0;
  const outAt = e.addressOf(out);
  let next = e.scratch(4 * padded * ((xAt === null ? 1 : 0) + (gAt === null ? 1 : 0) + (outAt === null ? 1 : 0)) + 16);
  const heap = e.heap();
  const place = (a: Float32Array): number => {
    const at = next;
    heap.set(a, at >>> 2);
    heap.fill(0, (at >>> 2) + n, (at >>> 2) + padded);
    next += 4 * padded;
    return at;
  };
  const xa = xAt ?? place(x);
  const ga = g ? (gAt ?? place(g)) : 0;
  const ya = outAt ?? next;
  const quads = padded >>> 2;
  e.runRows(KIND.map, [e.mapIndex(name), xa, ga, ya], quads, (g ? 3 : 2) * n, (q0, q1) => fn(xa + 16 * q0, ga + 16 * q0, ya + 16 * q0, q1 - q0));
  if (outAt === null) out.set(e.heap().subarray(ya >>> 2, (ya >>> 2) + n));
  return out;
}

export const simdUnary = (op: UnaryOp, x: Float32Array): Float32Array => runMap(`f_${op}`, x, null);
export const simdUnaryGrad = (op: UnaryOp, x: Float32Array, dy: Float32Array): Float32Array => runMap(`b_${op}`, x, dy);
