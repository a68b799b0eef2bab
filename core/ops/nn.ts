// The neural-network functionals (torch.nn.functional): softmax, conv2d, norms, embedding,
// nearest interpolation, losses, dropout.
import {
  onBackend, type Conv2dArgs, type GroupNormArgs, type KernelBackend, type LayerNormArgs, type NormGrads, type NormOutput, type Storage,
} from '../../kernels/index.js';
import { Generator, default_generator } from '../random.js';
import { normDim, normDims, numel, shapesEqual } from '../shape.js';
import { fromOp, Tensor } from '../tensor.js';
import { abs, add, div, exp, log, lt, mul, sub, where } from './elementwise.js';
import { cat, index_select, narrow, reshape, transpose } from './movement.js';
import { amax, mean, sum } from './reduce.js';
import { backendOf, on } from './util.js';

/** Softmax over `dim`, max-subtracted; the kernel works on the last axis, others are transposed there. */
export function softmax(x: Tensor, dim = -1): Tensor {
  const d = normDim(dim, x.ndim);
  if (x.ndim === 0) return reshape(softmax(reshape(x, [1]), 0), []);
  if (d !== x.ndim - 1) return transpose(softmax(transpose(x, d, -1), -1), d, -1);
  const cols = x.ndim === 0 ? 1 : x.dim(-1);
  const rows = cols === 0 ? 0 : x.size / cols;
  const b = backendOf(x);
  const y = b.softmax(on(x, b), rows, cols);
  return fromOp(y, x.shape, 'SoftmaxBackward', [x], (g) => {
    const gb = backendOf(g);
    return [new Tensor(gb.softmaxBackward(onBackend(y, gb), on(g, gb), rows, cols), x.shape)];
  });
}

/** log(sum(exp(x))) over dims, shifted by the detached max (0 where that max is not finite). */
export function logsumexp(x: Tensor, dims: number | readonly number[], keepdim = false): Tensor {
  const axes = normDims(dims, x.ndim);
  const m = amax(x.detach(), axes, true);
  const shift = where(lt(abs(m), Infinity), m, 0);
  const r = add(log(sum(exp(sub(x, shift)), axes, true)), shift);
  return keepdim ? r : reshape(r, x.shape.filter((_, i) => !axes.includes(i)));
}

export function log_softmax(x: Tensor, dim = -1): Tensor {
  return sub(x, logsumexp(x, dim, true));
}

/** Rows of `weight` (num, dim) at integer `ids` of any shape -> ids.shape + [dim]. */
export function embedding(ids: Tensor | readonly number[], weight: Tensor): Tensor {
  const shape = ids instanceof Tensor ? ids.shape : [ids.length];
  const flat = ids instanceof Tensor ? ids.data : ids;
  return reshape(index_select(weight, 0, flat), [...shape, weight.dim(1)]);
}

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
}

/** 2-D convolution (cross-correlation), NCHW input, OIHW weight, optional bias (O). */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  if (x.ndim !== 4 || weight.ndim !== 4) throw new Error(`conv2d: expects 4-D input and weight, got [${x.shape.join(', ')}] and [${weight.shape.join(', ')}]`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [o, ci, kh, kw] = weight.shape as [number, number, number, number];
  if (x.dtype !== weight.dtype) throw new Error(`conv2d: dtypes differ (input ${x.dtype}, weight ${weight.dtype})`);
  if (ci !== c) throw new Error(`conv2d: input has ${c} channels, weight expects ${ci} (weight [${weight.shape.join(', ')}])`);
  const [strideH, strideW] = typeof opts.stride === 'object' ? opts.stride : [opts.stride ?? 1, opts.stride ?? 1];
  const [padH, padW] = typeof opts.padding === 'object' ? opts.padding : [opts.padding ?? 0, opts.padding ?? 0];
  const outH = Math.floor((h + 2 * padH - kh) / strideH) + 1;
  const outW = Math.floor((w + 2 * padW - kw) / strideW) + 1;
  if (outH <= 0 || outW <= 0) throw new Error(`conv2d: kernel ${kh}x${kw} larger than padded input ${h + 2 * padH}x${w + 2 * padW}`);
  const args: Conv2dArgs = { n, c, h, w, o, kh, kw, strideH, strideW, padH, padW, outH, outW };
  const b = backendOf(x);
  // a bias of shape (O) rides in the kernel; its gradient is the sum of g over batch and pixels
  const fused = bias && bias.ndim === 1 && bias.dim(0) === o && bias.dtype === x.dtype ? bias : null;
  const inputs = fused ? [x, weight, fused] : [x, weight];
  const y = fromOp(b.conv2d(on(x, b), on(weight, b), args, fused && on(fused, b)), [n, o, outH, outW], 'ConvolutionBackward', inputs, (g) => {
    const gb = backendOf(g);
    return [
      x.requires_grad ? new Tensor(gb.conv2dBackwardInput(on(g, gb), on(weight, gb), args), x.shape) : null,
      weight.requires_grad ? new Tensor(gb.conv2dBackwardFilter(on(x, gb), on(g, gb), args), weight.shape) : null,
      ...(fused ? [fused.requires_grad ? sum(g, [0, 2, 3]) : null] : []),
    ];
  });
  return bias && !fused ? add(y, reshape(bias, [1, o, 1, 1])) : y;
}

/**
 * torch.nn.functional.pad(x, (padW, padW, padH, padH), mode='circular') on NCHW: the image wraps
 * around, so a conv after it sees no border. Composed of narrow and cat, whose backward adds each
 * wrapped row back to where it came from.
 */
export function pad_circular(x: Tensor, padding: number | [number, number]): Tensor {
  const [padH, padW] = typeof padding === 'object' ? padding : [padding, padding];
  if (x.ndim !== 4) throw new Error(`pad_circular: expects NCHW input, got [${x.shape.join(', ')}]`);
  const [h, w] = [x.dim(2), x.dim(3)];
  if (!(Number.isInteger(padH) && Number.isInteger(padW) && padH >= 0 && padW >= 0 && padH <= h && padW <= w)) {
    throw new Error(`pad_circular: padding (${padH}, ${padW}) must be whole numbers from 0 to the input's size ${h}x${w}`);
  }
  const wrap = (t: Tensor, dim: number, p: number, n: number): Tensor => (p === 0 ? t : cat([narrow(t, dim, n - p, p), t, narrow(t, dim, 0, p)], dim));
  return wrap(wrap(x, 2, padH, h), 3, padW, w);
}

type NormKernels = {
  forward(b: KernelBackend, x: Storage, w: Storage | null, bias: Storage | null): NormOutput;
  backward(b: KernelBackend, dy: Storage, x: Storage, mean: Storage, rstd: Storage, w: Storage | null, needW: boolean, needB: boolean): NormGrads;
};

/** A fused norm as one op: the kernel saves mean and rstd, and the backward gives dx, dweight, dbias at once. */
function normOp(name: string, what: string, x: Tensor, weight: Tensor | null | undefined, bias: Tensor | null | undefined, k: NormKernels): Tensor {
  for (const p of [weight, bias]) if (p && p.dtype !== x.dtype) throw new Error(`${what}: dtypes differ (input ${x.dtype}, affine ${p.dtype})`);
  const b = backendOf(x);
  const { y, mean, rstd } = k.forward(b, on(x, b), weight ? on(weight, b) : null, bias ? on(bias, b) : null);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return fromOp(y, x.shape, name, inputs, (g) => {
    const gb = backendOf(g);
    const needW = weight?.requires_grad ?? false;
    const needB = bias?.requires_grad ?? false;
    const r = k.backward(gb, on(g, gb), on(x, gb), onBackend(mean, gb), onBackend(rstd, gb), weight ? on(weight, gb) : null, needW, needB);
    const grads: (Tensor | null)[] = [x.requires_grad ? new Tensor(r.dx, x.shape) : null];
    if (weight) grads.push(r.dweight ? new Tensor(r.dweight, weight.shape) : null);
    if (bias) grads.push(r.dbias ? new Tensor(r.dbias, bias.shape) : null);
    return grads;
  });
}

/** GroupNorm over (N, C, *): statistics per (sample, group), then a per-channel affine. */
export function group_norm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  if (x.ndim < 2) throw new Error(`group_norm: expects (N, C, *), got [${x.shape.join(', ')}]`);
  const [n, c] = [x.dim(0), x.dim(1)];
  if (c % numGroups !== 0) throw new Error(`group_norm: ${c} channels are not divisible into ${numGroups} groups`);
  for (const p of [weight, bias]) if (p && (p.ndim !== 1 || p.dim(0) !== c)) throw new Error(`group_norm: affine shape [${p.shape.join(', ')}] does not match ${c} channels`);
  const args: GroupNormArgs = { n, c, groups: numGroups, spatial: numel(x.shape.slice(2)), eps };
  return normOp('NativeGroupNormBackward', 'group_norm', x, weight, bias, {
    forward: (b, xs, w, bs) => b.groupNorm(xs, w, bs, args),
    backward: (b, dy, xs, m, r, w, nw, nb) => b.groupNormBackward(dy, xs, m, r, w, args, nw, nb),
  });
}

/** LayerNorm over the trailing `normalizedShape` dims. */
export function layer_norm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.ndim - k);
  if (k > x.ndim || tail.some((v, i) => v !== normalizedShape[i])) {
    throw new Error(`layer_norm: normalized shape [${normalizedShape.join(', ')}] does not match input [${x.shape.join(', ')}]`);
  }
  for (const p of [weight, bias]) if (p && !shapesEqual(p.shape, normalizedShape)) throw new Error(`layer_norm: affine shape [${p.shape.join(', ')}] differs from normalized shape [${normalizedShape.join(', ')}]`);
  const cols = numel(normalizedShape);
  const args: LayerNormArgs = { rows: cols === 0 ? 0 : x.size / cols, cols, eps };
  return normOp('NativeLayerNormBackward', 'layer_norm', x, weight, bias, {
    forward: (b, xs, w, bs) => b.layerNorm(xs, w, bs, args),
    backward: (b, dy, xs, m, r, w, nw, nb) => b.layerNormBackward(dy, xs, m, r, w, args, nw, nb),
  });
}

/**
 * Source rows of nearest resizing, as PyTorch's 'nearest' computes them (UpSample.h nearest_idx):
 * the same size copies, twice the size takes i >> 1, otherwise src = floor(dst * scale) capped at
 * in - 1, with scale = in / out (or 1 / scale_factor) and the product both in float32 (floorf), so
 * the rare sizes where float32 rounding moves an index (14 -> 46: dst 23 gives 6, not 7) match too.
 */
export function nearestIndices(inSize: number, outSize: number, scale?: number): Int32Array {
  const s = Math.fround(scale ?? inSize / outSize);
  const idx = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    idx[i] = outSize === inSize ? i : outSize === 2 * inSize ? i >> 1 : Math.min(Math.floor(Math.fround(i * s)), inSize - 1);
  }
  return idx;
}

export interface InterpolateOptions {
  size?: [number, number];
  scale_factor?: number;
}

/** F.interpolate(mode='nearest') on (N, C, H, W); backward adds each output back to its source. */
export function interpolate(x: Tensor, opts: InterpolateOptions): Tensor {
  if (x.ndim !== 4) throw new Error(`interpolate: expects (N, C, H, W), got [${x.shape.join(', ')}]`);
  const [h, w] = [x.dim(2), x.dim(3)];
  let rows: Int32Array;
  let cols: Int32Array;
  if (opts.size) {
    rows = nearestIndices(h, opts.size[0]);
    cols = nearestIndices(w, opts.size[1]);
  } else if (opts.scale_factor !== undefined) {
    const sf = opts.scale_factor;
    rows = nearestIndices(h, Math.floor(h * sf), 1 / sf);
    cols = nearestIndices(w, Math.floor(w * sf), 1 / sf);
  } else {
    throw new Error('interpolate: give size or scale_factor');
  }
  return index_select(index_select(x, 2, rows), 3, cols);
}

export type Reduction = 'mean' | 'sum' | 'none';

export function mse_loss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  const d = sub(input, target);
  const sq = mul(d, d);
  return reduction === 'none' ? sq : reduction === 'sum' ? sum(sq) : mean(sq);
}

/** Inverted dropout: zero with probability p, scale survivors by 1 / (1 - p). Identity in eval. */
export function dropout(x: Tensor, p = 0.5, training = true, generator: Generator = default_generator): Tensor {
  if (p < 0 || p > 1) throw new RangeError(`dropout probability ${p} is outside [0, 1]`);
  if (!training || p === 0) return x;
  if (p === 1) return mul(x, 0);
  const keep = generator.rand([x.size], { dtype: x.dtype });
  const mask = reshape(div(lt(keep, 1 - p), 1 - p), x.shape);
  return mul(x, mask);
}
