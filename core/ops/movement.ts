// Ops that move values without arithmetic: reshape, permute, expand, slice, flip, gather, cat.
// All but reshape are one strided copy (or gather) forward and its adjoint scatter-add backward;
// a permutation's adjoint is the inverse permutation.
import type { StridedArgs } from '../../kernels/index.js';
import { broadcastShapes, checkShape, normDim, numel, shapesEqual, stridesOf, type Shape } from '../shape.js';
import { fromOp, Tensor } from '../tensor.js';
import { backendOf, on } from './util.js';

/** Reshape (a view: storage is shared). One dim may be -1. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const s = [...shape];
  const neg = s.indexOf(-1);
  if (neg >= 0) {
    const rest = numel(s.filter((_, i) => i !== neg));
    if (rest === 0 || x.size % rest !== 0) throw new Error(`cannot reshape [${x.shape.join(', ')}] into [${shape.join(', ')}]`);
    s[neg] = x.size / rest;
  }
  checkShape(s);
  if (numel(s) !== x.size) throw new Error(`cannot reshape [${x.shape.join(', ')}] (${x.size} elements) into [${shape.join(', ')}]`);
  if (shapesEqual(s, x.shape)) return x;
  const inShape = x.shape;
  return fromOp(x.storage, s, 'ReshapeBackward', [x], (g) => [reshape(g, inShape)]);
}

export const view = reshape;

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim(startDim, x.ndim);
  const e = normDim(endDim, x.ndim);
  if (s > e) throw new Error(`flatten: start dim ${startDim} comes after end dim ${endDim} (rank ${x.ndim})`);
  return reshape(x, [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normDim(dim, x.ndim + 1);
  return reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

export function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined) return reshape(x, x.shape.filter((v) => v !== 1));
  const d = normDim(dim, x.ndim);
  if (x.shape[d] !== 1) return x;
  return reshape(x, [...x.shape.slice(0, d), ...x.shape.slice(d + 1)]);
}

/** A strided copy and its adjoint; every view-like op below reduces to this. */
function stridedOp(x: Tensor, args: StridedArgs, name: string): Tensor {
  const b = backendOf(x);
  const inShape = x.shape;
  const size = x.size;
  const out = b.strided(on(x, b), args);
  return fromOp(out, args.outShape, name, [x], (g) => {
    const gb = backendOf(g);
    return [new Tensor(gb.stridedScatterAdd(on(g, gb), size, args), inShape)];
  });
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) throw new Error(`permute: ${dims.length} dims given for a tensor of rank ${x.ndim}`);
  const p = dims.map((d) => normDim(d, x.ndim));
  if (new Set(p).size !== p.length) throw new Error(`permute: dims ${JSON.stringify(dims)} repeat an axis`);
  if (p.every((d, i) => d === i)) return x;
  const st = stridesOf(x.shape);
  const b = backendOf(x);
  const out = b.strided(on(x, b), { outShape: p.map((d) => x.shape[d]!), strides: p.map((d) => st[d]!), offset: 0 });
  // a permutation's adjoint is the inverse permutation: a plain copy, not a scatter into zeros
  const inverse = p.map((_, i) => p.indexOf(i));
  return fromOp(out, p.map((d) => x.shape[d]!), 'PermuteBackward', [x], (g) => [permute(g, inverse)]);
}

export function transpose(x: Tensor, d0: number, d1: number): Tensor {
  const p = [...Array(x.ndim).keys()];
  const a = normDim(d0, x.ndim);
  const c = normDim(d1, x.ndim);
  [p[a], p[c]] = [p[c]!, p[a]!];
  return permute(x, p);
}

/** Matrix transpose of the last two dims (x.mT). */
export const mT = (x: Tensor): Tensor => transpose(x, -2, -1);

/** Broadcast to `shape` (torch.expand; -1 keeps a dim). Backward sums over the broadcast dims. */
export function expand(x: Tensor, shape: Shape): Tensor {
  const target = shape.map((d, i) => (d === -1 ? x.shape[i - (shape.length - x.ndim)]! : d));
  checkShape(target, 'expand: target shape');
  const full = broadcastShapes(x.shape, target);
  if (!shapesEqual(full, target)) throw new Error(`expand: cannot expand [${x.shape.join(', ')}] to [${shape.join(', ')}]`);
  if (shapesEqual(target, x.shape)) return x;
  const st = stridesOf(x.shape);
  const lead = target.length - x.ndim;
  const strides = target.map((d, i) => (i < lead || x.shape[i - lead] === 1 ? 0 : st[i - lead]!));
  return stridedOp(x, { outShape: target, strides, offset: 0 }, 'ExpandBackward');
}

export const broadcast_to = expand;

/** torch.narrow: `length` entries of `dim` from `start`. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normDim(dim, x.ndim);
  const n = x.shape[d]!;
  const s = start < 0 ? start + n : start;
  if (s < 0 || length < 0 || s + length > n) throw new RangeError(`narrow: [${start}, ${start}+${length}) is outside dim ${dim} of size ${n}`);
  return slice(x, d, s, s + length);
}

/** Python's x[..., start:end:step, ...] on one dim (negative indices count from the end). */
export function slice(x: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor {
  const d = normDim(dim, x.ndim);
  const n = x.shape[d]!;
  if (!Number.isInteger(step) || step <= 0) throw new RangeError(`slice: step must be a positive integer, got ${step}`);
  const clampIdx = (i: number): number => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  const s = clampIdx(start);
  const e = clampIdx(end ?? n);
  const len = Math.max(0, Math.ceil((e - s) / step));
  if (s === 0 && len === n && step === 1) return x;
  const st = stridesOf(x.shape);
  const outShape = x.shape.map((v, i) => (i === d ? len : v));
  const strides = st.map((v, i) => (i === d ? v * step : v));
  return stridedOp(x, { outShape, strides, offset: s * st[d]! }, 'SliceBackward');
}

export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  const list = (typeof dims === 'number' ? [dims] : [...dims]).map((d) => normDim(d, x.ndim));
  const st = stridesOf(x.shape);
  let offset = 0;
  const strides = st.map((v, i) => {
    if (!list.includes(i)) return v;
    offset += (x.shape[i]! - 1) * v;
    return -v;
  });
  return stridedOp(x, { outShape: x.shape, strides, offset }, 'FlipBackward');
}

function toIndex(index: Tensor | ArrayLike<number>, bound: number, what: string): Int32Array {
  const src = index instanceof Tensor ? index.data : index;
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    let v = src[i]!;
    if (!Number.isInteger(v) || v < -bound || v >= bound) throw new RangeError(`${what}: index ${v} is out of range for size ${bound}`);
    if (v < 0) v += bound;
    out[i] = v;
  }
  return out;
}

/** torch.index_select: entries `index` along `dim`. Backward adds rows back (repeats accumulate). */
export function index_select(x: Tensor, dim: number, index: Tensor | ArrayLike<number>): Tensor {
  const d = normDim(dim, x.ndim);
  const idx = toIndex(index, x.shape[d]!, 'index_select');
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const dimSize = x.shape[d]!;
  const b = backendOf(x);
  const outShape = x.shape.map((v, i) => (i === d ? idx.length : v));
  const inShape = x.shape;
  return fromOp(b.indexSelect(on(x, b), outer, dimSize, inner, idx), outShape, 'IndexSelectBackward', [x], (g) => {
    const gb = backendOf(g);
    return [new Tensor(gb.indexAdd(on(g, gb), outer, dimSize, inner, idx), inShape)];
  });
}

/** torch.gather: out[i][j][k] = x[i][index[i][j][k]][k] for dim 1 (index has x's rank). */
export function gather(x: Tensor, dim: number, index: Tensor | { shape: Shape; data: ArrayLike<number> }): Tensor {
  const d = normDim(dim, x.ndim);
  const ishape = index.shape;
  if (ishape.length !== x.ndim) throw new Error(`gather: index rank ${ishape.length} differs from input rank ${x.ndim}`);
  ishape.forEach((v, i) => {
    if (i !== d && v > x.shape[i]!) throw new Error(`gather: index shape [${ishape.join(', ')}] exceeds input [${x.shape.join(', ')}] at dim ${i}`);
  });
  const raw = toIndex(index.data, x.shape[d]!, 'gather');
  const xs = stridesOf(x.shape);
  const is = stridesOf(ishape);
  const flat = new Int32Array(raw.length);
  for (let p = 0; p < raw.length; p++) {
    let rem = p;
    let off = 0;
    for (let a = 0; a < ishape.length; a++) {
      const c = Math.floor(rem / is[a]!);
      rem -= c * is[a]!;
      off += (a === d ? raw[p]! : c) * xs[a]!;
    }
    flat[p] = off;
  }
  const b = backendOf(x);
  const inShape = x.shape;
  const size = x.size;
  return fromOp(b.take(on(x, b), flat), ishape, 'GatherBackward', [x], (g) => {
    const gb = backendOf(g);
    return [new Tensor(gb.takeAdd(on(g, gb), size, flat), inShape)];
  });
}

/** Concatenate along `dim`; each input's gradient is its slice of the output's. */
export function cat(xs: readonly Tensor[], dim = 0): Tensor {
  if (xs.length === 0) throw new Error('cat: needs at least one tensor');
  const first = xs[0]!;
  const d = normDim(dim, first.ndim);
  for (const t of xs) {
    if (t.ndim !== first.ndim || t.shape.some((v, i) => i !== d && v !== first.shape[i])) {
      throw new Error(`cat: shape [${t.shape.join(', ')}] does not match [${first.shape.join(', ')}] outside dim ${d}`);
    }
    if (t.dtype !== first.dtype) throw new Error(`cat: mixed dtypes ${first.dtype} and ${t.dtype}`);
  }
  if (xs.length === 1) return first;
  const total = xs.reduce((s, t) => s + t.shape[d]!, 0);
  const outShape = first.shape.map((v, i) => (i === d ? total : v));
  const b = backendOf(first);
  // one pass of row copies: (outer, len_i * inner) pieces side by side
  const outer = numel(first.shape.slice(0, d));
  const inner = numel(first.shape.slice(d + 1));
  const offsets: number[] = [];
  let at = 0;
  for (const t of xs) {
    offsets.push(at);
    at += t.shape[d]!;
  }
  const out = b.concat(xs.map((t) => on(t, b)), outer, xs.map((t) => t.shape[d]! * inner));
  return fromOp(out, outShape, 'CatBackward', xs, (g) => xs.map((t, i) => narrow(g, d, offsets[i]!, t.shape[d]!)));
}

export function stack(xs: readonly Tensor[], dim = 0): Tensor {
  if (xs.length === 0) throw new Error('stack: needs at least one tensor');
  const d = normDim(dim, xs[0]!.ndim + 1);
  return cat(xs.map((t) => unsqueeze(t, d)), d);
}

/** torch.split with a chunk size or a list of sizes (a size always gives at least one piece). */
export function split(x: Tensor, sizes: number | readonly number[], dim = 0): Tensor[] {
  const d = normDim(dim, x.ndim);
  const n = x.shape[d]!;
  if (typeof sizes === 'number' && !(Number.isInteger(sizes) && sizes > 0)) throw new RangeError(`split: size must be a positive integer, got ${sizes}`);
  const list = typeof sizes === 'number' ? Array.from({ length: Math.max(1, Math.ceil(n / sizes)) }, (_, i) => Math.min(sizes, n - i * sizes)) : [...sizes];
  if (list.reduce((a, v) => a + v, 0) !== n) throw new Error(`split: sizes ${JSON.stringify(list)} do not add up to ${n}`);
  let at = 0;
  return list.map((len) => {
    const t = narrow(x, d, at, len);
    at += len;
    return t;
  });
}

/** torch.chunk: `chunks` pieces of ceil(n / chunks) (the last may be smaller; fewer when n is small). */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!(Number.isInteger(chunks) && chunks > 0)) throw new RangeError(`chunk: chunks must be a positive integer, got ${chunks}`);
  const d = normDim(dim, x.ndim);
  // torch gives `chunks` empty pieces of an empty dim
  if (x.shape[d] === 0) return split(x, new Array<number>(chunks).fill(0), d);
  return split(x, Math.ceil(x.shape[d]! / chunks), d);
}

/** torch.repeat_interleave-free tile: torch.Tensor.repeat(reps...). */
export function repeat(x: Tensor, reps: readonly number[]): Tensor {
  if (reps.length < x.ndim) throw new Error(`repeat: ${reps.length} repeats for a tensor of rank ${x.ndim}`);
  const lead = reps.length - x.ndim;
  const base = [...new Array<number>(lead).fill(1), ...x.shape];
  // view as (1, d0, 1, d1, ...) -> expand to (r0, d0, r1, d1, ...) -> merge pairs
  const inter: number[] = [];
  const expanded: number[] = [];
  base.forEach((v, i) => {
    inter.push(1, v);
    expanded.push(reps[i]!, v);
  });
  return reshape(expand(reshape(x, inter), expanded), base.map((v, i) => v * reps[i]!));
}

/** Ensures a shape-compatible copy exists; storage is always contiguous here, so this is identity. */
export const contiguous = (x: Tensor): Tensor => x;

/** torch.select: x[..., index, ...] at `dim`, that dim removed. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normDim(dim, x.ndim);
  const n = x.shape[d]!;
  const i = index < 0 ? index + n : index;
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`select: index ${index} is out of range for dim ${dim} of size ${n}`);
  return squeeze(narrow(x, d, i, 1), d);
}
