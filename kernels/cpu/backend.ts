// The reference backend: plain TypeScript over host typed arrays. Every other backend is tested
// against this one.
import type {
  BinaryOp, Conv2dArgs, GroupNormArgs, KernelBackend, LayerNormArgs, MatmulArgs, NormGrads, NormOutput, ReduceOp, StridedArgs, UnaryOp,
} from '../backend.js';
import { allocArray, HostStorage, type DType, type Storage } from '../types.js';
import { markExposed } from '../pool.js';
import { concat } from './concat.js';
import { conv2d, conv2dBackwardFilter, conv2dBackwardInput } from './conv2d.js';
import { binary, mapScalar, unary, unaryGrad, where } from './elementwise.js';
import { indexAdd, indexSelect, strided, stridedScatterAdd, take, takeAdd } from './gather.js';
import { addBias, matmul } from './matmul.js';
import { groupNorm, groupNormBackward, layerNorm, layerNormBackward, type NormGradsHost, type NormHost } from './norm.js';
import { reduce } from './reduce.js';
import { softmax, softmaxBackward } from './softmax.js';

const host = (s: Storage): Float32Array | Float64Array => s.read();
const wrap = (d: Float32Array | Float64Array): HostStorage => new HostStorage(d);
const opt = (s: Storage | null): Float32Array | Float64Array | null => (s ? s.read() : null);
const normOut = (r: NormHost): NormOutput => ({ y: wrap(r.y), mean: wrap(r.mean), rstd: wrap(r.rstd) });
const normGrads = (r: NormGradsHost): NormGrads => ({ dx: wrap(r.dx), dweight: r.dweight && wrap(r.dweight), dbias: r.dbias && wrap(r.dbias) });

export class CpuBackend implements KernelBackend {
  readonly name: string = 'cpu';

  upload(values: Storage): Storage {
    if (values instanceof HostStorage) return values;
    // the wrap shares the array: it may no longer be recycled when its owner is disposed
    markExposed(values);
    return wrap(values.read());
  }
  unary(op: UnaryOp, x: Storage): Storage {
    return wrap(unary(op, host(x), x.dtype));
  }
  unaryGrad(op: UnaryOp, x: Storage, dy: Storage): Storage {
    return wrap(unaryGrad(op, host(x), host(dy), x.dtype));
  }
  powScalar(x: Storage, p: number): Storage {
    if (p === 2) return wrap(mapScalar(host(x), x.dtype, (v) => v * v));
    return wrap(mapScalar(host(x), x.dtype, (v) => Math.pow(v, p)));
  }
  clamp(x: Storage, lo: number, hi: number): Storage {
    return wrap(mapScalar(host(x), x.dtype, (v) => (v < lo ? lo : v > hi ? hi : v)));
  }
  binary(op: BinaryOp, a: Storage, aShape: readonly number[], b: Storage, bShape: readonly number[], outShape: readonly number[]): Storage {
    return wrap(binary(op, host(a), aShape, host(b), bShape, outShape, a.dtype));
  }
  where(c: Storage, cShape: readonly number[], a: Storage, aShape: readonly number[], b: Storage, bShape: readonly number[], outShape: readonly number[]): Storage {
    return wrap(where(host(c), cShape, host(a), aShape, host(b), bShape, outShape, a.dtype));
  }
  reduce(op: ReduceOp, x: Storage, shape: readonly number[], axes: readonly number[]): Storage {
    return wrap(reduce(op, host(x), shape, axes, x.dtype));
  }
  matmul(a: Storage, b: Storage, args: MatmulArgs, bias?: Storage | null): Storage {
    return wrap(addBias(matmul(host(a), host(b), args, a.dtype), opt(bias ?? null), 1));
  }
  conv2d(x: Storage, w: Storage, args: Conv2dArgs, bias?: Storage | null): Storage {
    return wrap(addBias(conv2d(host(x), host(w), args, x.dtype), opt(bias ?? null), args.outH * args.outW));
  }
  conv2dBackwardInput(dy: Storage, w: Storage, args: Conv2dArgs): Storage {
    return wrap(conv2dBackwardInput(host(dy), host(w), args, dy.dtype));
  }
  conv2dBackwardFilter(x: Storage, dy: Storage, args: Conv2dArgs): Storage {
    return wrap(conv2dBackwardFilter(host(x), host(dy), args, x.dtype));
  }
  softmax(x: Storage, rows: number, cols: number): Storage {
    return wrap(softmax(host(x), rows, cols, x.dtype));
  }
  softmaxBackward(y: Storage, dy: Storage, rows: number, cols: number): Storage {
    return wrap(softmaxBackward(host(y), host(dy), rows, cols, y.dtype));
  }
  groupNorm(x: Storage, weight: Storage | null, bias: Storage | null, args: GroupNormArgs): NormOutput {
    return normOut(groupNorm(host(x), opt(weight), opt(bias), args, x.dtype));
  }
  groupNormBackward(dy: Storage, x: Storage, mean: Storage, rstd: Storage, weight: Storage | null, args: GroupNormArgs, needWeight: boolean, needBias: boolean): NormGrads {
    return normGrads(groupNormBackward(host(dy), host(x), host(mean), host(rstd), opt(weight), args, needWeight, needBias, x.dtype));
  }
  layerNorm(x: Storage, weight: Storage | null, bias: Storage | null, args: LayerNormArgs): NormOutput {
    return normOut(layerNorm(host(x), opt(weight), opt(bias), args, x.dtype));
  }
  layerNormBackward(dy: Storage, x: Storage, mean: Storage, rstd: Storage, weight: Storage | null, args: LayerNormArgs, needWeight: boolean, needBias: boolean): NormGrads {
    return normGrads(layerNormBackward(host(dy), host(x), host(mean), host(rstd), opt(weight), args, needWeight, needBias, x.dtype));
  }
  strided(x: Storage, args: StridedArgs): Storage {
    return wrap(strided(host(x), args, x.dtype));
  }
  concat(xs: readonly Storage[], outer: number, rows: readonly number[]): Storage {
    return wrap(concat(xs.map(host), outer, rows, xs[0]!.dtype));
  }
  stridedScatterAdd(src: Storage, size: number, args: StridedArgs): Storage {
    return wrap(stridedScatterAdd(host(src), size, args, src.dtype));
  }
  indexSelect(x: Storage, outer: number, dimSize: number, inner: number, idx: Int32Array): Storage {
    return wrap(indexSelect(host(x), outer, dimSize, inner, idx, x.dtype));
  }
  indexAdd(src: Storage, outer: number, dimSize: number, inner: number, idx: Int32Array): Storage {
    return wrap(indexAdd(host(src), outer, dimSize, inner, idx, src.dtype));
  }
  take(x: Storage, flat: Int32Array): Storage {
    return wrap(take(host(x), flat, x.dtype));
  }
  takeAdd(src: Storage, size: number, flat: Int32Array): Storage {
    return wrap(takeAdd(host(src), size, flat, src.dtype));
  }
  fill(dtype: DType, size: number, value: number): Storage {
    const d = allocArray(dtype, size);
    if (value !== 0) d.fill(value);
    return wrap(d);
  }
  cast(x: Storage, dtype: DType): Storage {
    const d = allocArray(dtype, x.size);
    d.set(host(x));
    return wrap(d);
  }
}
