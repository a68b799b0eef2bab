// The gpu.js backend: the hot kernels are gpu.js kernels generated per shape (codegen.ts) and run
// in the configured mode. In GL modes results stay on the device as pipeline textures between
// kernels. In webasm mode four kernel families run on hand-emitted SIMD WebAssembly (../simd)
// instead, because gpu.js's webasm code computes one output per cell and calls Math.exp through a
// JS import per lane (measured): matrix products (matmul, bmm, conv2d and both backward products;
// ~2.7 vs ~30 GFLOP/s), softmax and its backward (31 ms vs ~1.5 ms at 2048 x 256), and the
// exp-based activations with their gradients; broadcast binary ops, reductions and strided copies
// take the cpu backend's loops over the same host memory (see hostLoops). Norms, scatter-adds,
// fill and cast, and work past the float index range (codegen.MAX_INDEX), run on the cpu backend
// over host values in every mode. Where the SIMD memory is shared (threads), kernel outputs live
// in it (../simd/heap.ts, through the pool's arena): the products, maps and softmax read and write
// them in place, and the binary ops, sums, strided copies and scatter-adds, the norms and the
// convolutions' copies run on both cores (../cpu/rows.ts), with the cpu loops' bits.
import type {
  BinaryOp, Conv2dArgs, GroupNormArgs, KernelBackend, LayerNormArgs, MatmulArgs, NormGrads, NormOutput, ReduceOp, StridedArgs, UnaryOp,
} from '../backend.js';
import { CpuBackend } from '../cpu/backend.js';
import { HostStorage, type DType, type Storage } from '../types.js';
import { sgemmConv2d, sgemmConv2dBackwardFilter, sgemmConv2dBackwardInput } from '../simd/conv.js';
import { sgemm, simdArena, simdSupported, simdTensorsShared, warmSimd } from '../simd/gemm.js';
import { simdSoftmax, simdSoftmaxBackward } from '../simd/softmax.js';
import { simdAddBias, simdBinary } from '../simd/binary.js';
import { simdGroupNormBackward, simdLayerNormBackward, simdNorm, type NormRows } from '../simd/norm.js';
import { simdStrided } from '../simd/strided.js';
import { simdReduce } from '../simd/reduce.js';
import { simdMapSupported, simdUnary, simdUnaryGrad } from '../simd/map.js';
import {
  binaryBody, conv2dBackwardFilterSource, conv2dBackwardInputSource, conv2dSource, elementwise,
  indexSelectSource, matmulSource, MAX_INDEX, powBody, reduceSource, rowSource, takeSource, unaryBody, unaryGradBody,
} from './codegen.js';
import { broadcastStrides, numel, stridesOf } from '../shape.js';
import { addBias } from '../cpu/matmul.js';
import type { GpuJsMode } from './load.js';
import { GpuJsRuntime, type DeviceStats } from './runtime.js';
import { GpuStorage } from './storage.js';
import { markExposed, setArrayArena } from '../pool.js';

interface ElementArgs {
  strides: readonly number[];
  offset: number;
}
/** A contiguous operand read in the output's own row-major order. */
const flat = (outShape: readonly number[]): ElementArgs => ({ strides: stridesOf(outShape), offset: 0 });
/** A group norm as the rows of cpu/norm.ts: one (sample, group) a row. */
const groupNormRows = (a: GroupNormArgs): NormRows => ({ rows: a.n * a.groups, cols: (a.c / a.groups) * a.spatial, groups: a.groups, spatial: a.spatial, eps: a.eps });
/** A contiguous operand of a 1-D (flat) output. */
const LINEAR: ElementArgs = { strides: [1], offset: 0 };

export class GpuJsBackend implements KernelBackend {
  readonly rt: GpuJsRuntime;
  private readonly cpu = new CpuBackend();
  /** webasm: products, softmax and exp-based activations on the SIMD module */
  private readonly simd: boolean;
  /**
   * webasm with SIMD: broadcast binary ops, reductions and strided copies run on the cpu backend's
   * loops over the same host memory. gpu.js's webasm kernels decompose a float index per element;
   * the collapsed cpu loops took 10-40% less time for these kernels in the UNet step (measured).
   */
  private readonly hostLoops: boolean;

  /** `simd: false` keeps every kernel on gpu.js itself (to measure what gpu.js alone does). */
  constructor(readonly name: string, mode: GpuJsMode, opts: { simd?: boolean } = {}) {
    this.rt = new GpuJsRuntime(mode, name);
    this.simd = (opts.simd ?? true) && this.rt.mode === 'webasm' && simdSupported();
    this.hostLoops = this.simd;
    if (this.simd) {
      warmSimd();
      // outputs live in the engine's memory where it is shared, read and written there in place
      if (simdTensorsShared()) setArrayArena(simdArena());
    }
  }

  /** The gpu.js mode this backend runs in (resolved from `auto`). */
  get mode(): string {
    return this.rt.mode;
  }

  stats(): DeviceStats {
    return this.rt.stats();
  }

  /** Foreign storages (host tensors) wrapped once each, so a weight read by many kernels in a
   * step is uploaded once, not per kernel; a disposed wrap is made again on next use. */
  private readonly wraps = new WeakMap<Storage, GpuStorage>();

  private own(s: Storage): GpuStorage {
    if (s instanceof GpuStorage && s.backend === this.name) return s;
    const w = this.wraps.get(s);
    if (w && !w.isDisposed) return w;
    // the wrap shares the array: its owner may no longer recycle it
    markExposed(s);
    const made = this.rt.wrap(s.read() as Float32Array);
    this.wraps.set(s, made);
    return made;
  }

  /** Wraps a cpu kernel's fresh output (this storage alone holds its array). */
  private wrapHost(s: Storage): GpuStorage {
    return this.rt.wrap(s.read() as Float32Array, true);
  }

  /** A SIMD kernel's fresh output: this storage alone holds it. */
  private fresh(host: Float32Array): GpuStorage {
    return this.rt.wrap(host, true);
  }

  /** Too big for float index math, or empty: the cpu backend does it. */
  private tooBig(...sizes: number[]): boolean {
    return sizes.some((n) => n === 0 || n >= MAX_INDEX);
  }

  upload(values: Storage): Storage {
    if (values.dtype === 'float64') return values;
    return this.own(values);
  }

  private ew(outShape: readonly number[], inputs: readonly [Storage, ElementArgs][], body: string, scalars: readonly number[] = []): Storage {
    const names = scalars.map((_, i) => `s${i}`);
    const src = elementwise(outShape, inputs.map(([, a]) => a), body, names);
    return this.rt.run(src, [...inputs.map(([s]) => this.own(s)), ...scalars]);
  }

  unary(op: UnaryOp, x: Storage): Storage {
    if (this.simd && simdMapSupported(op)) return this.fresh(simdUnary(op, x.read() as Float32Array));
    if (this.tooBig(x.size)) return this.wrapHost(this.cpu.unary(op, x));
    return this.ew([x.size], [[x, LINEAR]], unaryBody(op, 'v0'));
  }
  unaryGrad(op: UnaryOp, x: Storage, dy: Storage): Storage {
    if (this.simd && simdMapSupported(op)) return this.fresh(simdUnaryGrad(op, x.read() as Float32Array, dy.read() as Float32Array));
    if (this.tooBig(x.size)) return this.wrapHost(this.cpu.unaryGrad(op, x, dy));
    return this.ew([x.size], [[x, LINEAR], [dy, LINEAR]], unaryGradBody(op, 'v0', 'v1'));
  }
  powScalar(x: Storage, p: number): Storage {
    if (this.tooBig(x.size)) return this.wrapHost(this.cpu.powScalar(x, p));
    return this.ew([x.size], [[x, LINEAR]], powBody('v0', 's0'), [p]);
  }
  clamp(x: Storage, lo: number, hi: number): Storage {
    if (this.tooBig(x.size) || !Number.isFinite(lo) || !Number.isFinite(hi)) return this.wrapHost(this.cpu.clamp(x, lo, hi));
    return this.ew([x.size], [[x, LINEAR]], 'r = v0;\nif (v0 < s0) { r = s0; }\nif (v0 > s1) { r = s1; }', [lo, hi]);
  }
  binary(op: BinaryOp, a: Storage, aShape: readonly number[], b: Storage, bShape: readonly number[], outShape: readonly number[]): Storage {
    if (this.hostLoops) {
      // both threads where the operands live in the engine's shared memory
      if (a.dtype === 'float32' && b.dtype === 'float32') {
        const y = simdBinary(op, a.read() as Float32Array, aShape, b.read() as Float32Array, bShape, outShape, numel(outShape));
        if (y) return this.fresh(y);
      }
      return this.wrapHost(this.cpu.binary(op, a, aShape, b, bShape, outShape));
    }
    if (this.tooBig(numel(outShape), a.size, b.size)) return this.wrapHost(this.cpu.binary(op, a, aShape, b, bShape, outShape));
    return this.ew(outShape, [[a, { strides: broadcastStrides(aShape, outShape), offset: 0 }], [b, { strides: broadcastStrides(bShape, outShape), offset: 0 }]], binaryBody(op, 'v0', 'v1'));
  }
  where(c: Storage, cShape: readonly number[], a: Storage, aShape: readonly number[], b: Storage, bShape: readonly number[], outShape: readonly number[]): Storage {
    if (this.tooBig(numel(outShape), a.size, b.size, c.size)) return this.wrapHost(this.cpu.where(c, cShape, a, aShape, b, bShape, outShape));
    const st = (s: readonly number[]): ElementArgs => ({ strides: broadcastStrides(s, outShape), offset: 0 });
    return this.ew(outShape, [[c, st(cShape)], [a, st(aShape)], [b, st(bShape)]], 'r = v2;\nif (v0 != 0.0) { r = v1; }');
  }
  reduce(op: ReduceOp, x: Storage, shape: readonly number[], axes: readonly number[]): Storage {
    if (this.hostLoops) {
      const v = this.f32s(x);
      const y = v && simdReduce(op, v[0]!, shape, axes);
      return y ? this.fresh(y) : this.wrapHost(this.cpu.reduce(op, x, shape, axes));
    }
    const red = numel(axes.map((d) => shape[d]!));
    if (this.tooBig(x.size, red) || axes.length === 0) return this.wrapHost(this.cpu.reduce(op, x, shape, axes));
    return this.rt.run(reduceSource(shape, axes, op), [this.own(x)]);
  }

  matmul(a: Storage, b: Storage, args: MatmulArgs, bias?: Storage | null): Storage {
    const size = args.batch * args.m * args.n;
    if (this.simd) {
      const y = sgemm(a.read() as Float32Array, b.read() as Float32Array, args);
      // the bias on both threads where y lives in the engine's shared memory
      if (bias && !simdAddBias(y, bias.read() as Float32Array, 1)) addBias(y, bias.read() as Float32Array, 1);
      return this.fresh(y);
    }
    if (this.tooBig(size, a.size, b.size) || args.k === 0) return this.wrapHost(this.cpu.matmul(a, b, args, bias));
    return this.withBias(this.scaled(this.rt.run(matmulSource(args), [this.own(a), this.own(b)]), args.alpha ?? 1), bias, [args.batch * args.m, args.n], [1, args.n]);
  }
  /** gpu.js kernels: a product's alpha as one more elementwise kernel, a float32 multiply as `mul` makes it. */
  private scaled(y: GpuStorage, alpha: number): GpuStorage {
    if (alpha === 1) return y;
    const out = this.ew([y.size], [[y, LINEAR]], 'r = v0 * s0;', [Math.fround(alpha)]) as GpuStorage;
    y.dispose();
    return out;
  }
  conv2d(x: Storage, w: Storage, args: Conv2dArgs, bias?: Storage | null): Storage {
    if (this.simd) return this.fresh(sgemmConv2d(x.read() as Float32Array, w.read() as Float32Array, args, bias ? (bias.read() as Float32Array) : null));
    const src = conv2dSource(args);
    if (this.tooBig(src.size, x.size, w.size)) return this.wrapHost(this.cpu.conv2d(x, w, args, bias));
    return this.withBias(this.rt.run(src, [this.own(x), this.own(w)]), bias, [args.n, args.o, args.outH * args.outW], [1, args.o, 1]);
  }
  /** GL modes: the product's bias as one more elementwise kernel. */
  private withBias(y: GpuStorage, bias: Storage | null | undefined, shape: number[], biasShape: number[]): Storage {
    if (!bias) return y;
    const out = this.binary('add', y, shape, bias, biasShape, shape);
    y.dispose();
    return out;
  }
  conv2dBackwardInput(dy: Storage, w: Storage, args: Conv2dArgs): Storage {
    if (this.simd) return this.fresh(sgemmConv2dBackwardInput(dy.read() as Float32Array, w.read() as Float32Array, args));
    const src = conv2dBackwardInputSource(args);
    if (this.tooBig(src.size, dy.size, w.size)) return this.wrapHost(this.cpu.conv2dBackwardInput(dy, w, args));
    return this.rt.run(src, [this.own(dy), this.own(w)]);
  }
  conv2dBackwardFilter(x: Storage, dy: Storage, args: Conv2dArgs): Storage {
    if (this.simd) return this.fresh(sgemmConv2dBackwardFilter(x.read() as Float32Array, dy.read() as Float32Array, args));
    const src = conv2dBackwardFilterSource(args);
    if (this.tooBig(src.size, x.size, dy.size)) return this.wrapHost(this.cpu.conv2dBackwardFilter(x, dy, args));
    return this.rt.run(src, [this.own(x), this.own(dy)]);
  }
  softmax(x: Storage, rows: number, cols: number): Storage {
    if (this.simd) return this.fresh(simdSoftmax(x.read() as Float32Array, rows, cols));
    if (this.tooBig(x.size, rows, cols)) return this.wrapHost(this.cpu.softmax(x, rows, cols));
    const xs = this.own(x);
    const mx = this.rt.run(rowSource('max', rows, cols), [xs]);
    const sum = this.rt.run(rowSource('sumexp', rows, cols), [xs, mx]);
    const row = { strides: [1, 0], offset: 0 };
    const out = this.ew([rows, cols], [[xs, flat([rows, cols])], [mx, row], [sum, row]], 'r = Math.exp(v0 - v1) / v2;');
    mx.dispose();
    sum.dispose();
    return out;
  }
  softmaxBackward(y: Storage, dy: Storage, rows: number, cols: number): Storage {
    if (this.simd) return this.fresh(simdSoftmaxBackward(y.read() as Float32Array, dy.read() as Float32Array, rows, cols));
    if (this.tooBig(y.size, rows, cols)) return this.wrapHost(this.cpu.softmaxBackward(y, dy, rows, cols));
    const ys = this.own(y);
    const gs = this.own(dy);
    const dot = this.rt.run(rowSource('dot', rows, cols), [gs, ys]);
    const out = this.ew([rows, cols], [[ys, flat([rows, cols])], [gs, flat([rows, cols])], [dot, { strides: [1, 0], offset: 0 }]], 'r = v0 * (v1 - v2);');
    dot.dispose();
    return out;
  }

  // The norms are a few passes over memory with row sums: they run on the cpu kernels over host
  // values (webasm storage is host memory already; GL modes download), or on both cores (norm()).
  private hostNorm(r: NormOutput): NormOutput {
    return { y: this.wrapHost(r.y), mean: this.wrapHost(r.mean), rstd: this.wrapHost(r.rstd) };
  }
  private hostGrads(r: NormGrads): NormGrads {
    return { dx: this.wrapHost(r.dx), dweight: r.dweight && this.wrapHost(r.dweight), dbias: r.dbias && this.wrapHost(r.dbias) };
  }
  /** float32 host values of every storage given (null stays null), or null if one is float64. */
  private f32s(...xs: (Storage | null)[]): (Float32Array | null)[] | null {
    if (!this.simd || xs.some((x) => x !== null && x.dtype !== 'float32')) return null;
    return xs.map((x) => (x ? (x.read() as Float32Array) : null));
  }
  /** Norm forward on both threads where x lives in the engine's shared memory, else the cpu kernel. */
  private norm(x: Storage, weight: Storage | null, bias: Storage | null, rows: NormRows, cpu: () => NormOutput): NormOutput {
    const v = this.f32s(x, weight, bias);
    const r = v && simdNorm(v[0]!, v[1]!, v[2]!, rows);
    return r ? { y: this.fresh(r.y), mean: this.fresh(r.mean), rstd: this.fresh(r.rstd) } : this.hostNorm(cpu());
  }
  groupNorm(x: Storage, weight: Storage | null, bias: Storage | null, args: GroupNormArgs): NormOutput {
    const rows = groupNormRows(args);
    return this.norm(x, weight, bias, rows, () => this.cpu.groupNorm(x, weight, bias, args));
  }
  groupNormBackward(dy: Storage, x: Storage, mean: Storage, rstd: Storage, weight: Storage | null, args: GroupNormArgs, needWeight: boolean, needBias: boolean): NormGrads {
    const v = this.f32s(dy, x, mean, rstd, weight);
    const rows = groupNormRows(args);
    const r = v && simdGroupNormBackward(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, rows, args.c, needWeight, needBias);
    return r ? this.simdGrads(r) : this.hostGrads(this.cpu.groupNormBackward(dy, x, mean, rstd, weight, args, needWeight, needBias));
  }
  /** A SIMD norm backward's results as storages: the float64 sums rounded once to float32, as the cpu kernel does. */
  private simdGrads(r: { dx: Float32Array; dw: Float64Array | null; db: Float64Array | null }): NormGrads {
    const f32 = (a: Float64Array | null): Storage | null => a && this.fresh(Float32Array.from(a));
    return { dx: this.fresh(r.dx), dweight: f32(r.dw), dbias: f32(r.db) };
  }
  layerNorm(x: Storage, weight: Storage | null, bias: Storage | null, args: LayerNormArgs): NormOutput {
    return this.norm(x, weight, bias, { rows: args.rows, cols: args.cols, groups: 1, spatial: 1, eps: args.eps }, () => this.cpu.layerNorm(x, weight, bias, args));
  }
  layerNormBackward(dy: Storage, x: Storage, mean: Storage, rstd: Storage, weight: Storage | null, args: LayerNormArgs, needWeight: boolean, needBias: boolean): NormGrads {
    const v = this.f32s(dy, x, mean, rstd, weight);
    const r = v && simdLayerNormBackward(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, args.rows, args.cols, needWeight, needBias);
    if (r) return this.simdGrads(r);
    return this.hostGrads(this.cpu.layerNormBackward(dy, x, mean, rstd, weight, args, needWeight, needBias));
  }

  strided(x: Storage, args: StridedArgs): Storage {
    if (this.hostLoops) {
      const v = this.f32s(x);
      const y = v && simdStrided(v[0]!, args, false, 0);
      return y ? this.fresh(y) : this.wrapHost(this.cpu.strided(x, args));
    }
    const size = numel(args.outShape);
    if (this.tooBig(size, x.size)) return this.wrapHost(this.cpu.strided(x, args));
    return this.ew(args.outShape, [[x, { strides: args.strides, offset: args.offset }]], 'r = v0;');
  }
  /** Row copies over host values in every mode (GL modes download the pieces, as the scatter-add it replaced did). */
  concat(xs: readonly Storage[], outer: number, rows: readonly number[]): Storage {
    return this.wrapHost(this.cpu.concat(xs, outer, rows));
  }
  stridedScatterAdd(src: Storage, size: number, args: StridedArgs): Storage {
    const v = this.f32s(src);
    const y = v && simdStrided(v[0]!, args, true, size);
    if (y) return this.fresh(y);
    return this.wrapHost(this.cpu.stridedScatterAdd(src, size, args));
  }
  indexSelect(x: Storage, outer: number, dimSize: number, inner: number, idx: Int32Array): Storage {
    const size = outer * idx.length * inner;
    if (this.tooBig(size, x.size)) return this.wrapHost(this.cpu.indexSelect(x, outer, dimSize, inner, idx));
    return this.rt.run(indexSelectSource(outer, dimSize, inner, idx.length), [this.own(x), Float32Array.from(idx)]);
  }
  indexAdd(src: Storage, outer: number, dimSize: number, inner: number, idx: Int32Array): Storage {
    return this.wrapHost(this.cpu.indexAdd(src, outer, dimSize, inner, idx));
  }
  take(x: Storage, flat: Int32Array): Storage {
    if (this.tooBig(flat.length, x.size)) return this.wrapHost(this.cpu.take(x, flat));
    return this.rt.run(takeSource(flat.length), [this.own(x), Float32Array.from(flat)]);
  }
  takeAdd(src: Storage, size: number, flat: Int32Array): Storage {
    return this.wrapHost(this.cpu.takeAdd(src, size, flat));
  }
  fill(dtype: DType, size: number, value: number): Storage {
    const s = this.cpu.fill(dtype, size, value);
    return dtype === 'float64' ? s : this.wrapHost(s);
  }
  cast(x: Storage, dtype: DType): Storage {
    if (dtype === 'float64') return new HostStorage(Float64Array.from(x.read()));
    return x.dtype === 'float32' ? this.own(x) : this.fresh(Float32Array.from(x.read()));
  }
}

