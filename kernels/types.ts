// Data types and storage shared by every backend. The kernels layer knows nothing of Tensor or
// autograd: a kernel takes storages and plain shape numbers and returns a new storage.
import { takeZeroed } from './pool.js';

export type DType = 'float32' | 'float64';
export type TypedArray = Float32Array | Float64Array;

export function allocArray(dtype: DType, size: number): TypedArray {
  // float32 outputs may reuse a released array of the same length (pool.ts), zero-filled
  return dtype === 'float64' ? new Float64Array(size) : takeZeroed(size);
}

/** Memory owned by one backend. `read()` returns host values (a download for device storage). */
export interface Storage {
  readonly dtype: DType;
  readonly size: number;
  readonly backend: string;
  read(): TypedArray;
  dispose(): void;
}

/** Plain host memory; the storage of the cpu backend and of every tensor made from JS values. */
export class HostStorage implements Storage {
  readonly backend = 'cpu';
  constructor(readonly data: TypedArray) {}
  get dtype(): DType {
    return this.data instanceof Float64Array ? 'float64' : 'float32';
  }
  get size(): number {
    return this.data.length;
  }
  read(): TypedArray {
    return this.data;
  }
  dispose(): void {
    // host memory belongs to the garbage collector
  }
}
