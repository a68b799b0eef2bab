// Making tensors from JS values and constants.
import { allocArray, backendFor, HostStorage, type DType, type TypedArray } from '../../kernels/index.js';
import { checkShape, numel, type Shape } from '../shape.js';
import { Tensor, type NestedArray } from '../tensor.js';

export interface TensorOptions {
  dtype?: DType;
  requires_grad?: boolean;
}

let defaultDtype: DType = 'float32';

/** torch.set_default_dtype: the dtype of tensors made without one. */
export function set_default_dtype(d: DType): void {
  defaultDtype = d;
}

export function get_default_dtype(): DType {
  return defaultDtype;
}

function inferShape(v: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0]!;
  }
  return shape;
}

function flatten(v: NestedArray, shape: readonly number[], out: TypedArray): void {
  let k = 0;
  const walk = (x: NestedArray, dim: number): void => {
    if (dim === shape.length) {
      if (typeof x !== 'number') throw new Error(`ragged nested array: expected a number at depth ${dim}`);
      out[k++] = x;
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[dim]) {
      throw new Error(`ragged nested array: expected ${shape[dim]} entries at depth ${dim}`);
    }
    for (const e of x) walk(e, dim + 1);
  };
  walk(v, 0);
}

/** torch.tensor: from a number, a nested array or a typed array (with an explicit shape). */
export function tensor(values: NestedArray | TypedArray | readonly number[], opts: TensorOptions & { shape?: Shape } = {}): Tensor {
  const dtype = opts.dtype ?? (values instanceof Float64Array ? 'float64' : values instanceof Float32Array ? 'float32' : defaultDtype);
  let data: TypedArray;
  let shape: number[];
  if (ArrayBuffer.isView(values)) {
    shape = opts.shape ? [...opts.shape] : [values.length];
    data = allocArray(dtype, values.length);
    data.set(values);
  } else {
    const nested = values as NestedArray;
    const inferred = inferShape(nested);
    data = allocArray(dtype, numel(inferred));
    flatten(nested, inferred, data);
    shape = opts.shape ? [...opts.shape] : inferred;
  }
  checkShape(shape);
  if (numel(shape) !== data.length) throw new Error(`tensor: ${data.length} values do not fill shape [${shape.join(', ')}]`);
  return new Tensor(new HostStorage(data), shape, opts.requires_grad ?? false);
}

export function full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
  checkShape(shape);
  const dtype = opts.dtype ?? defaultDtype;
  return new Tensor(backendFor(dtype).fill(dtype, numel(shape), value), shape, opts.requires_grad ?? false);
}

export const zeros = (shape: Shape, opts: TensorOptions = {}): Tensor => full(shape, 0, opts);
export const ones = (shape: Shape, opts: TensorOptions = {}): Tensor => full(shape, 1, opts);
export const zeros_like = (t: Tensor, opts: TensorOptions = {}): Tensor => full(t.shape, 0, { dtype: t.dtype, ...opts });
export const ones_like = (t: Tensor, opts: TensorOptions = {}): Tensor => full(t.shape, 1, { dtype: t.dtype, ...opts });
export const full_like = (t: Tensor, v: number, opts: TensorOptions = {}): Tensor => full(t.shape, v, { dtype: t.dtype, ...opts });

/** A 0-d tensor. */
export function scalar(v: number, dtype: DType = defaultDtype): Tensor {
  return tensor([v], { dtype, shape: [] });
}

export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  const [s, e] = end === undefined ? [0, start] : [start, end];
  const n = Math.max(0, Math.ceil((e - s) / step));
  const d = allocArray(opts.dtype ?? defaultDtype, n);
  for (let i = 0; i < n; i++) d[i] = s + i * step;
  return new Tensor(new HostStorage(d), [n], opts.requires_grad ?? false);
}

export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  const d = allocArray(opts.dtype ?? defaultDtype, steps);
  for (let i = 0; i < steps; i++) d[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  return new Tensor(new HostStorage(d), [steps], opts.requires_grad ?? false);
}

export function eye(n: number, opts: TensorOptions = {}): Tensor {
  const d = allocArray(opts.dtype ?? defaultDtype, n * n);
  for (let i = 0; i < n; i++) d[i * n + i] = 1;
  return new Tensor(new HostStorage(d), [n, n], opts.requires_grad ?? false);
}
