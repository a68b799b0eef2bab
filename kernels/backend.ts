// The one interface between the op layer (core/) and the numeric work. Every backend implements
// every kernel: the registry does not fall back (unlike TF.js's). A backend hands work it cannot do
// well to a cpu backend it holds itself (gpu.js: past its index limit, or the loops it runs on the
// host); float64 work always runs on cpu (registry.ts).
import type { DType, Storage } from './types.js';

export type UnaryOp =
  | 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'sigmoid' | 'tanh' | 'silu' | 'gelu' | 'gelu_tanh'
  | 'quick_gelu' | 'relu' | 'square' | 'reciprocal' | 'sin' | 'cos';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum' | 'eq' | 'gt' | 'lt';

export type ReduceOp = 'sum' | 'max' | 'min';

/** Shape arguments of a (batched) matrix product C[b] = op(A[b]) @ op(B[b]). */
export interface MatmulArgs {
  batch: number;
  m: number;
  k: number;
  n: number;
  /** A is stored (m, k) when false, (k, m) when true; likewise B (k, n) or (n, k). */
  transA: boolean;
  transB: boolean;
  /** Elements between consecutive batch matrices; 0 broadcasts one matrix over the batch. */
  strideA: number;
  strideB: number;
  /** C = alpha * (op(A) @ op(B)) (+ bias): diffusers' baddbmm(.., beta=0, alpha) of attention
   * scores in one call; 1 when absent. Rounded as a separate multiply by alpha in the dtype would be. */
  alpha?: number;
}

/** NCHW input, OIHW weight, square-free stride and zero padding, no dilation or groups. */
export interface Conv2dArgs {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  outH: number;
  outW: number;
}

/** A strided view: out[i0..] = x[offset + sum(i_d * strides[d])]. Strides may be 0 or negative. */
export interface StridedArgs {
  outShape: readonly number[];
  strides: readonly number[];
  offset: number;
}

/** GroupNorm of NCHW-like x (n, c, spatial...): statistics per (sample, group), affine per channel. */
export interface GroupNormArgs {
  n: number;
  c: number;
  groups: number;
  /** elements per channel per sample (H*W; 1 for a 2-D input) */
  spatial: number;
  eps: number;
}

/** LayerNorm of x viewed as (rows, cols): statistics per row, affine per column. */
export interface LayerNormArgs {
  rows: number;
  cols: number;
  eps: number;
}

/** A norm's output and the per-row statistics its backward reuses (biased variance). */
export interface NormOutput {
  y: Storage;
  mean: Storage;
  /** 1 / sqrt(var + eps) */
  rstd: Storage;
}

export interface NormGrads {
  dx: Storage;
  /** null unless asked for */
  dweight: Storage | null;
  dbias: Storage | null;
}

export interface KernelBackend {
  readonly name: string;
  /** Moves host values into this backend's memory (identity for cpu). */
  upload(values: Storage): Storage;

  unary(op: UnaryOp, x: Storage): Storage;
  /** dx = dy * f'(x), the backward of `unary` beside it. */
  unaryGrad(op: UnaryOp, x: Storage, dy: Storage): Storage;
  /** x ** p, clamp(x, lo, hi): scalar-parameter maps. */
  powScalar(x: Storage, p: number): Storage;
  clamp(x: Storage, lo: number, hi: number): Storage;
  /** Elementwise op on broadcast operands; shapes have equal rank (the op layer pads them). */
  binary(op: BinaryOp, a: Storage, aShape: readonly number[], b: Storage, bShape: readonly number[], outShape: readonly number[]): Storage;
  /** cond ? a : b with broadcasting, all three of rank outShape.length. */
  where(cond: Storage, cShape: readonly number[], a: Storage, aShape: readonly number[], b: Storage, bShape: readonly number[], outShape: readonly number[]): Storage;
  /** Reduce over `axes` of `shape`; the result has those axes removed (the op layer re-adds keepdims). */
  reduce(op: ReduceOp, x: Storage, shape: readonly number[], axes: readonly number[]): Storage;

  /** C[b] = op(A[b]) @ op(B[b]), plus `bias` (n values) on every row when given (a linear layer). */
  matmul(a: Storage, b: Storage, args: MatmulArgs, bias?: Storage | null): Storage;
  /** Cross-correlation, plus `bias` (o values) on each output channel when given. */
  conv2d(x: Storage, w: Storage, args: Conv2dArgs, bias?: Storage | null): Storage;
  conv2dBackwardInput(dy: Storage, w: Storage, args: Conv2dArgs): Storage;
  conv2dBackwardFilter(x: Storage, dy: Storage, args: Conv2dArgs): Storage;
  /** Softmax over the last axis of a (rows, cols) matrix, and its backward from y and dy. */
  softmax(x: Storage, rows: number, cols: number): Storage;
  softmaxBackward(y: Storage, dy: Storage, rows: number, cols: number): Storage;

  /** Fused normalisations (weight and bias optional) and their backward beside them: dx always,
   * dweight / dbias when `needWeight` / `needBias`. */
  groupNorm(x: Storage, weight: Storage | null, bias: Storage | null, args: GroupNormArgs): NormOutput;
  groupNormBackward(dy: Storage, x: Storage, mean: Storage, rstd: Storage, weight: Storage | null, args: GroupNormArgs, needWeight: boolean, needBias: boolean): NormGrads;
  layerNorm(x: Storage, weight: Storage | null, bias: Storage | null, args: LayerNormArgs): NormOutput;
  layerNormBackward(dy: Storage, x: Storage, mean: Storage, rstd: Storage, weight: Storage | null, args: LayerNormArgs, needWeight: boolean, needBias: boolean): NormGrads;

  /** Copy of a strided view (permute, slice, expand and flip are all this). */
  strided(x: Storage, args: StridedArgs): Storage;
  /** The adjoint of `strided`: a zero buffer of `size` with src added at the view's positions. */
  stridedScatterAdd(src: Storage, size: number, args: StridedArgs): Storage;
  /**
   * Concatenation along one axis: piece i viewed as (outer, rows[i]) (rows[i] = its length on the
   * axis times the elements after it), the output (outer, sum of rows) with the pieces side by side.
   * -0 comes out as +0, as the scatter-add sum it replaced made it.
   */
  concat(xs: readonly Storage[], outer: number, rows: readonly number[]): Storage;
  /** out[..., j, ...] = x[..., idx[j], ...] along axis `dim` of `shape` (outer, dim, inner layout). */
  indexSelect(x: Storage, outer: number, dimSize: number, inner: number, idx: Int32Array): Storage;
  /** The adjoint of `indexSelect`: zeros(outer, dimSize, inner) with rows of src added at idx. */
  indexAdd(src: Storage, outer: number, dimSize: number, inner: number, idx: Int32Array): Storage;
  /** out[i] = x[flat[i]]: the general gather. */
  take(x: Storage, flat: Int32Array): Storage;
  /** The adjoint of `take`: zeros(size) with src[i] added at flat[i]. */
  takeAdd(src: Storage, size: number, flat: Int32Array): Storage;
  fill(dtype: DType, size: number, value: number): Storage;
  cast(x: Storage, dtype: DType): Storage;
}

export type KernelName = Exclude<keyof KernelBackend, 'name'>;
