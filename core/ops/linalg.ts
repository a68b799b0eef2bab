// Matrix products. One raw batched kernel call serves forward and both backward products through
// its transpose flags, so no transposed copy is made at the op level.
import { broadcastShapes, numel, shapesEqual } from '../shape.js';
import { fromOp, Tensor } from '../tensor.js';
import { add, mul } from './elementwise.js';
import { expand, reshape } from './movement.js';
import { sum, sum_to } from './reduce.js';
import { backendOf, on } from './util.js';

/**
 * op(A) @ op(B) over broadcast batch dims, recording nothing. A is (..., m, k) or, transposed,
 * (..., k, m); B is (..., k, n) or (..., n, k).
 */
export function matmulRaw(a: Tensor, b: Tensor, transA: boolean, transB: boolean, bias: Tensor | null = null, alpha = 1): Tensor {
  const [ar, ac] = [a.dim(-2), a.dim(-1)];
  const [br, bc] = [b.dim(-2), b.dim(-1)];
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const [k2, n] = transB ? [bc, br] : [br, bc];
  if (k !== k2) throw new Error(`matmul: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] do not chain (${k} vs ${k2})`);
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB);
  const nb = numel(batch);
  const fit = (t: Tensor, tb: readonly number[]): [Tensor, number] => {
    if (numel(tb) === 1) return [t, 0];
    if (shapesEqual(tb, batch)) return [t, t.dim(-2) * t.dim(-1)];
    return [expand(t, [...batch, t.dim(-2), t.dim(-1)]), t.dim(-2) * t.dim(-1)];
  };
  const [A, strideA] = fit(a, batchA);
  const [B, strideB] = fit(b, batchB);
  const be = backendOf(a);
  const s = be.matmul(on(A, be), on(B, be), { batch: nb, m, k, n, transA, transB, strideA, strideB, ...(alpha === 1 ? {} : { alpha }) }, bias && on(bias, be));
  return new Tensor(s, [...batch, m, n]);
}

/** torch.matmul: 1-D operands are promoted and the added dim removed; batch dims broadcast. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) throw new Error('matmul: both operands need at least one dim');
  if (a.dtype !== b.dtype) throw new Error(`matmul: dtypes differ (${a.dtype} vs ${b.dtype})`);
  const a2 = a.ndim === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const b2 = b.ndim === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  const raw = matmulRaw(a2, b2, false, false);
  const out = fromOp(raw.storage, raw.shape, 'MmBackward', [a2, b2], (g) => [
    a2.requires_grad ? sum_to(matmulRaw(g, b2, false, true), a2.shape) : null,
    b2.requires_grad ? sum_to(matmulRaw(a2, g, true, false), b2.shape) : null,
  ]);
  let shape = [...out.shape];
  if (a.ndim === 1) shape = [...shape.slice(0, -2), shape[shape.length - 1]!];
  if (b.ndim === 1) shape = shape.slice(0, -1);
  return reshape(out, shape);
}

/**
 * alpha * A @ B^T for A (..., m, k) and B (..., n, k), batch dims broadcast: attention scores
 * (diffusers' baddbmm(empty, q, k^T, beta=0, alpha=scale)) as one product, with no transposed copy
 * of B and no separate scaling pass. Forward and backward give the values of
 * mul(matmul(a, transpose(b)), alpha) bit for bit: the backward scales g as mul's backward does
 * and runs the same products.
 */
export function matmul_nt(a: Tensor, b: Tensor, alpha = 1): Tensor {
  if (a.ndim < 2 || b.ndim < 2) throw new Error(`matmul_nt: both operands need at least two dims, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  if (a.dtype !== b.dtype) throw new Error(`matmul_nt: dtypes differ (${a.dtype} vs ${b.dtype})`);
  const raw = matmulRaw(a, b, false, true, null, alpha);
  return fromOp(raw.storage, raw.shape, 'MmNtBackward', [a, b], (g) => {
    const gs = alpha === 1 ? g : mul(g, alpha);
    return [
      a.requires_grad ? sum_to(matmulRaw(gs, b, false, false), a.shape) : null,
      b.requires_grad ? sum_to(matmulRaw(gs, a, true, false), b.shape) : null,
    ];
  });
}

/** torch.bmm: (B, m, k) @ (B, k, n), no broadcasting. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0]) {
    throw new Error(`bmm: expects (B, m, k) and (B, k, n), got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  return matmul(a, b);
}

/** y = x W^T + b with W (out, in), as torch.nn.functional.linear; x may have any leading dims. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const inF = weight.dim(1);
  const outF = weight.dim(0);
  if (x.dtype !== weight.dtype) throw new Error(`linear: dtypes differ (input ${x.dtype}, weight ${weight.dtype})`);
  if (x.dim(-1) !== inF) throw new Error(`linear: input features ${x.dim(-1)} differ from weight's ${inF} (weight [${weight.shape.join(', ')}])`);
  const lead = x.shape.slice(0, -1);
  const x2 = reshape(x, [numel(lead), inF]);
  // a bias of the usual shape rides in the product's kernel; its gradient is the column sum of g
  const fused = bias && bias.ndim === 1 && bias.dim(0) === outF && bias.dtype === x.dtype ? bias : null;
  const raw = matmulRaw(x2, weight, false, true, fused);
  const inputs = fused ? [x2, weight, fused] : [x2, weight];
  const y = fromOp(raw.storage, raw.shape, 'LinearBackward', inputs, (g) => [
    x2.requires_grad ? matmulRaw(g, weight, false, false) : null,
    weight.requires_grad ? matmulRaw(g, x2, true, false) : null,
    ...(fused ? [fused.requires_grad ? sum(g, [0]) : null] : []),
  ]);
  const out = reshape(y, [...lead, outF]);
  return bias && !fused ? add(out, bias) : out;
}
