// The SIMD products as one import, for bench/gemm_ab.ts to compare two checkouts side by side.
import { setArrayArena } from '../pool.js';
import { getEngine, simdArena } from './gemm.js';
export { setSimdFma, sgemm } from './gemm.js';
export { sgemmConv2d, sgemmConv2dBackwardFilter, sgemmConv2dBackwardInput } from './conv.js';

/**
 * Puts this checkout's kernels where the backend runs them in a training step: outputs taken from
 * the engine memory, and `a`'s values copied there (returned), so the products read them in place.
 */
export function inEngineMemory(a: Float32Array): Float32Array {
  setArrayArena(simdArena());
  const t = getEngine().heapAlloc.tensor(a.length);
  if (t === null) throw new Error(`gemm_ab: no room for ${a.length} floats in the engine memory (BAS_HEAP_MB)`);
  t.array.set(a);
  return t.array;
}
