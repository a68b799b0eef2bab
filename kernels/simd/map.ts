// Runs the SIMD activation maps over the engine's memory: x (and dy) copied in, padded to whole
// quads, the formula run, the result copied out.
import type { UnaryOp } from '../backend.js';
import { BACKWARD, FORWARD } from './activations.js';
import { getEngine } from './gemm.js';
import { takeFull } from '../pool.js';
import { MAX_PAGES } from './gemm_module.js';
import { mapModuleBytes } from './map_module.js';

type MapFn = (x: number, g: number, y: number, quads: number) => void;

let fns: WebAssembly.Exports | null = null;
function exportsOf(): WebAssembly.Exports {
  if (!fns) {
    const e = getEngine();
    const shared = e.memory.buffer instanceof SharedArrayBuffer;
    const formulas: Record<string, (typeof FORWARD)[UnaryOp] & object> = {};
    for (const [op, f] of Object.entries(FORWARD)) formulas[`f_${op}`] = f;
    for (const [op, f] of Object.entries(BACKWARD)) formulas[`b_${op}`] = f;
    fns = new WebAssembly.Instance(new WebAssembly.Module(mapModuleBytes(formulas, shared, MAX_PAGES)), { env: { mem: e.memory } }).exports;
  }
  return fns;
}

export function simdMapSupported(op: UnaryOp): boolean {
  return FORWARD[op] !== undefined && BACKWARD[op] !== undefined;
}

function runMap(name: string, x: Float32Array, g: Float32Array | null): Float32Array {
  const n = x.length;
  if (n === 0) return new Float32Array(0);
  const fn = exportsOf()[name] as MapFn;
  const e = getEngine();
  const padded = (n + 3) & ~3;
  const heap = e.heap(12 * padded);
  heap.set(x, 0);
  heap.fill(0, n, padded);
  if (g) heap.set(g, padded);
  fn(0, 4 * padded, 8 * padded, padded >> 2);
  const out = takeFull(n);
  out.set(e.heap(0).subarray(2 * padded, 2 * padded + n));
  return out;
}

export const simdUnary = (op: UnaryOp, x: Float32Array): Float32Array => runMap(`f_${op}`, x, null);
export const simdUnaryGrad = (op: UnaryOp, x: Float32Array, dy: Float32Array): Float32Array => runMap(`b_${op}`, x, dy);
