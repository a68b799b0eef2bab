// Reductions. sum's backward broadcasts the gradient back; amax/amin split it evenly among ties
// (as torch.amax does); max/min along a dim give it all to the index they return (torch.max).
import { allocArray, HostStorage, type ReduceOp } from '../../kernels/index.js';
import { normDim, normDims, numel, padShape, type Shape } from '../shape.js';
import { fromOp, Tensor } from '../tensor.js';
import { expand, gather, reshape } from './movement.js';
import { div, eq, mul } from './elementwise.js';
import { backendOf, on } from './util.js';

function keptShape(shape: Shape, axes: readonly number[]): number[] {
  return shape.map((v, i) => (axes.includes(i) ? 1 : v));
}

function rawReduce(op: ReduceOp, x: Tensor, axes: readonly number[]): Tensor {
  const b = backendOf(x);
  const outShape = x.shape.filter((_, i) => !axes.includes(i));
  return new Tensor(b.reduce(op, on(x, b), x.shape, axes), outShape);
}

export function sum(x: Tensor, dims?: number | readonly number[], keepdim = false): Tensor {
  const axes = normDims(dims, x.ndim);
  const kept = keptShape(x.shape, axes);
  const outShape = keepdim ? kept : x.shape.filter((_, i) => !axes.includes(i));
  const inShape = x.shape;
  const b = backendOf(x);
  return fromOp(b.reduce('sum', on(x, b), x.shape, axes), outShape, 'SumBackward', [x], (g) => [expand(reshape(g, kept), inShape)]);
}

export function mean(x: Tensor, dims?: number | readonly number[], keepdim = false): Tensor {
  const axes = normDims(dims, x.ndim);
  const n = numel(axes.map((a) => x.shape[a]!));
  return div(sum(x, axes, keepdim), n);
}

/** Sums a broadcast gradient back down to `shape` (the adjoint of broadcasting). */
export function sum_to(g: Tensor, shape: Shape): Tensor {
  if (g.ndim === shape.length && g.shape.every((v, i) => v === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const padded = padShape(shape, g.ndim);
  const axes = g.shape.map((v, i) => i).filter((i) => i < lead || (padded[i] === 1 && g.shape[i] !== 1));
  return reshape(sum(g, axes, true), shape);
}

function extremum(op: 'max' | 'min', x: Tensor, dims: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  if (x.size === 0) throw new Error(`a${op}(): cannot reduce an empty tensor (no identity for ${op})`);
  const axes = normDims(dims, x.ndim);
  const kept = keptShape(x.shape, axes);
  const values = rawReduce(op, x, axes);
  const outShape = keepdim ? kept : values.shape;
  return fromOp(values.storage, outShape, op === 'max' ? 'AmaxBackward' : 'AminBackward', [x], (g) => {
    // ties share the gradient evenly: mask / count
    const mask = eq(x, reshape(values, kept));
    const count = sum(mask, axes, true);
    return [mul(div(mask, count), reshape(g, kept))];
  });
}

export const amax = (x: Tensor, dims?: number | readonly number[], keepdim = false): Tensor => extremum('max', x, dims, keepdim);
export const amin = (x: Tensor, dims?: number | readonly number[], keepdim = false): Tensor => extremum('min', x, dims, keepdim);

/** Index of the first maximum along `dim` (as a float tensor of indices). */
export function argmax(x: Tensor, dim: number, keepdim = false): Tensor {
  return argExtremum(x, dim, keepdim, (a, b) => a > b);
}

export function argmin(x: Tensor, dim: number, keepdim = false): Tensor {
  return argExtremum(x, dim, keepdim, (a, b) => a < b);
}

function argExtremum(x: Tensor, dim: number, keepdim: boolean, better: (a: number, b: number) => boolean): Tensor {
  const d = normDim(dim, x.ndim);
  const n = x.shape[d]!;
  if (n === 0) throw new Error('argmax/argmin of an empty dim');
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const v = x.data;
  const idx = allocArray(x.dtype, outer * inner);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      let best = 0;
      let bv = v[o * n * inner + i]!;
      for (let j = 1; j < n; j++) {
        const c = v[(o * n + j) * inner + i]!;
        if (better(c, bv) || (Number.isNaN(c) && !Number.isNaN(bv))) {
          bv = c;
          best = j;
        }
      }
      idx[o * inner + i] = best;
    }
  const kept = keptShape(x.shape, [d]);
  const out = new Tensor(new HostStorage(idx), kept);
  return keepdim ? out : reshape(out, x.shape.filter((_, i) => i !== d));
}

/** torch.max(x, dim): values and indices; the gradient goes only to the returned index. */
export function max(x: Tensor, dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
  const indices = argmax(x, dim, true);
  const values = gather(x, dim, indices);
  const d = normDim(dim, x.ndim);
  const drop = (t: Tensor): Tensor => (keepdim ? t : reshape(t, x.shape.filter((_, i) => i !== d)));
  return { values: drop(values), indices: drop(indices) };
}

export function min(x: Tensor, dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
  const indices = argmin(x, dim, true);
  const values = gather(x, dim, indices);
  const d = normDim(dim, x.ndim);
  const drop = (t: Tensor): Tensor => (keepdim ? t : reshape(t, x.shape.filter((_, i) => i !== d)));
  return { values: drop(values), indices: drop(indices) };
}
