// Elementwise ops. Binary ops broadcast; their backward sums the gradient back to each input's
// shape (sum_to). Unary ops hand their derivative to the backend's fused unaryGrad kernel.
import { cpuBackend, type BinaryOp, type DType, type UnaryOp } from '../../kernels/index.js';
import { broadcastShapes, padShape } from '../shape.js';
import { fromOp, Tensor } from '../tensor.js';
import { full } from './creation.js';
import { sum_to } from './reduce.js';
import { backendOf, on } from './util.js';

export type TensorLike = Tensor | number;

/** Numbers become 0-d tensors of the other operand's dtype; mixed float dtypes promote to float64. */
function operands(a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') throw new Error('binary op needs at least one tensor');
  const like = (a instanceof Tensor ? a : b) as Tensor;
  const ta = a instanceof Tensor ? a : full([], a, { dtype: like.dtype });
  const tb = b instanceof Tensor ? b : full([], b, { dtype: like.dtype });
  if (ta.dtype !== tb.dtype) {
    return [ta.dtype === 'float64' ? ta : toDtype(ta, 'float64'), tb.dtype === 'float64' ? tb : toDtype(tb, 'float64')];
  }
  return [ta, tb];
}

function rawBinary(op: BinaryOp, a: Tensor, b: Tensor): { out: Tensor; shape: number[] } {
  const shape = broadcastShapes(a.shape, b.shape);
  const k = backendOf(a);
  const s = k.binary(op, on(a, k), padShape(a.shape, shape.length), on(b, k), padShape(b.shape, shape.length), shape);
  return { out: new Tensor(s, shape), shape };
}

function binaryOp(op: BinaryOp, name: string, x: TensorLike, y: TensorLike, grads: (a: Tensor, b: Tensor, g: Tensor, out: Tensor) => [Tensor | null, Tensor | null]): Tensor {
  const [a, b] = operands(x, y);
  const { out, shape } = rawBinary(op, a, b);
  return fromOp(out.storage, shape, name, [a, b], (g) => {
    const [ga, gb] = grads(a, b, g, out);
    return [ga && a.requires_grad ? sum_to(ga, a.shape) : null, gb && b.requires_grad ? sum_to(gb, b.shape) : null];
  });
}

export const add = (a: TensorLike, b: TensorLike): Tensor => binaryOp('add', 'AddBackward', a, b, (_a, _b, g) => [g, g]);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binaryOp('sub', 'SubBackward', a, b, (_a, _b, g) => [g, neg(g)]);
export const mul = (a: TensorLike, b: TensorLike): Tensor =>
  binaryOp('mul', 'MulBackward', a, b, (ta, tb, g) => [ta.requires_grad ? mul(g, tb) : null, tb.requires_grad ? mul(g, ta) : null]);
export const div = (a: TensorLike, b: TensorLike): Tensor =>
  binaryOp('div', 'DivBackward', a, b, (ta, tb, g, out) => [ta.requires_grad ? div(g, tb) : null, tb.requires_grad ? neg(div(mul(g, out), tb)) : null]);

/** Elementwise max; where equal, the gradient is split in half (torch.maximum). */
export const maximum = (a: TensorLike, b: TensorLike): Tensor =>
  binaryOp('maximum', 'MaximumBackward', a, b, (ta, tb, g) => {
    const share = add(gt(ta, tb), mul(eq(ta, tb), 0.5));
    return [mul(g, share), mul(g, sub(1, share))];
  });
export const minimum = (a: TensorLike, b: TensorLike): Tensor =>
  binaryOp('minimum', 'MinimumBackward', a, b, (ta, tb, g) => {
    const share = add(lt(ta, tb), mul(eq(ta, tb), 0.5));
    return [mul(g, share), mul(g, sub(1, share))];
  });

// comparisons return 0/1 in the operands' dtype and are not differentiable
function compare(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = operands(a, b);
  return rawBinary(op, ta, tb).out;
}
export const eq = (a: TensorLike, b: TensorLike): Tensor => compare('eq', a, b);
export const gt = (a: TensorLike, b: TensorLike): Tensor => compare('gt', a, b);
export const lt = (a: TensorLike, b: TensorLike): Tensor => compare('lt', a, b);
export const ge = (a: TensorLike, b: TensorLike): Tensor => sub(1, lt(a, b));
export const le = (a: TensorLike, b: TensorLike): Tensor => sub(1, gt(a, b));

function unaryOp(op: UnaryOp, name: string, x: Tensor): Tensor {
  const b = backendOf(x);
  return fromOp(b.unary(op, on(x, b)), x.shape, name, [x], (g) => {
    const gb = backendOf(g);
    return [new Tensor(gb.unaryGrad(op, on(x, gb), on(g, gb)), x.shape)];
  });
}

export const neg = (x: Tensor): Tensor => unaryOp('neg', 'NegBackward', x);
export const exp = (x: Tensor): Tensor => unaryOp('exp', 'ExpBackward', x);
export const log = (x: Tensor): Tensor => unaryOp('log', 'LogBackward', x);
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', 'SqrtBackward', x);
/** |x|; the subgradient at 0 is 0, as in PyTorch. */
export const abs = (x: Tensor): Tensor => unaryOp('abs', 'AbsBackward', x);
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', 'SigmoidBackward', x);
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', 'TanhBackward', x);
export const silu = (x: Tensor): Tensor => unaryOp('silu', 'SiluBackward', x);
export const relu = (x: Tensor): Tensor => unaryOp('relu', 'ReluBackward', x);
export const sin = (x: Tensor): Tensor => unaryOp('sin', 'SinBackward', x);
export const cos = (x: Tensor): Tensor => unaryOp('cos', 'CosBackward', x);
export const square = (x: Tensor): Tensor => unaryOp('square', 'SquareBackward', x);
export const reciprocal = (x: Tensor): Tensor => unaryOp('reciprocal', 'ReciprocalBackward', x);
/** gelu with approximate 'none' (exact, erf) or 'tanh', as torch.nn.functional.gelu. */
export const gelu = (x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor =>
  approximate === 'tanh' ? unaryOp('gelu_tanh', 'GeluBackward', x) : unaryOp('gelu', 'GeluBackward', x);
/** CLIP's x * sigmoid(1.702 x). */
export const quick_gelu = (x: Tensor): Tensor => unaryOp('quick_gelu', 'QuickGeluBackward', x);

/** x ** p for a scalar exponent; backward p * x ** (p - 1) (0 for p = 0, not 0 * x ** -1 = NaN at 0). */
export function pow(x: Tensor, p: number): Tensor {
  if (p === 1) return x;
  const b = backendOf(x);
  return fromOp(b.powScalar(on(x, b), p), x.shape, 'PowBackward', [x], (g) => [p === 0 ? mul(g, 0) : mul(g, mul(pow(x, p - 1), p))]);
}

export const rsqrt = (x: Tensor): Tensor => pow(x, -0.5);

/** Clamp into [min, max]; the gradient passes where the input is inside (bounds included). */
export function clamp(x: Tensor, lo = -Infinity, hi = Infinity): Tensor {
  const b = backendOf(x);
  return fromOp(b.clamp(on(x, b), lo, hi), x.shape, 'ClampBackward', [x], (g) => [mul(g, mul(ge(x, lo), le(x, hi)))]);
}

/** cond ? a : b, broadcasting all three; cond is any tensor read as nonzero = true. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = operands(a, b);
  const shape = broadcastShapes(broadcastShapes(cond.shape, ta.shape), tb.shape);
  const k = backendOf(ta);
  const r = shape.length;
  const s = k.where(on(cond, k), padShape(cond.shape, r), on(ta, k), padShape(ta.shape, r), on(tb, k), padShape(tb.shape, r), shape);
  return fromOp(s, shape, 'WhereBackward', [ta, tb], (g) => [
    ta.requires_grad ? sum_to(where(cond, g, 0), ta.shape) : null,
    tb.requires_grad ? sum_to(where(cond, 0, g), tb.shape) : null,
  ]);
}

/** x with `value` where mask is nonzero (torch.masked_fill); no gradient flows to filled places. */
export function masked_fill(x: Tensor, mask: Tensor, value: number): Tensor {
  return where(mask, value, x);
}

/** Converts dtype (on the cpu backend, where float64 lives); the gradient is converted back. */
export function toDtype(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const b = cpuBackend();
  return fromOp(b.cast(on(x, b), dtype), x.shape, 'ToCopyBackward', [x], (g) => [toDtype(g, x.dtype)]);
}
