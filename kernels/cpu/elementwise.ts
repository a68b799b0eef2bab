// Broadcast binary ops, where, and the scalar-parameter maps.
import type { BinaryOp, UnaryOp } from '../backend.js';
import { allocArray, type DType, type TypedArray } from '../types.js';
import { binaryF32 } from './binary_f32.js';
import { broadcastStrides, numel } from '../shape.js';
import { forEachBroadcast } from './broadcast.js';
import { UNARY } from './unary.js';
import { unaryF32, unaryGradF32 } from './unary_f32.js';

export function unary(op: UnaryOp, x: TypedArray, dtype: DType): TypedArray {
  const out = allocArray(dtype, x.length);
  if (x instanceof Float32Array && out instanceof Float32Array && unaryF32(op, x, out)) return out;
  const f = UNARY[op].f;
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
  return out;
}

export function unaryGrad(op: UnaryOp, x: TypedArray, dy: TypedArray, dtype: DType): TypedArray {
  const out = allocArray(dtype, x.length);
  if (x instanceof Float32Array && dy instanceof Float32Array && out instanceof Float32Array && unaryGradF32(op, x, dy, out)) return out;
  const { f, d } = UNARY[op];
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    out[i] = dy[i]! * d(xi, f(xi));
  }
  return out;
}

const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  maximum: (a, b) => (a >= b ? a : b),
  minimum: (a, b) => (a <= b ? a : b),
  eq: (a, b) => (a === b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
};

export function binary(
  op: BinaryOp,
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  outShape: readonly number[],
  dtype: DType,
): TypedArray {
  const out = allocArray(dtype, numel(outShape));
  if (a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array && binaryF32(op, a, aShape, b, bShape, outShape, out)) return out;
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  // the common ops get their own loops: a closure call per element costs ~3x
  if (op === 'add' || op === 'sub' || op === 'mul' || op === 'div') {
    forEachBroadcast(outShape, [sa, sb], (start, len, [oa, ob], [ia, ib]) => {
      let pa = oa!;
      let pb = ob!;
      const end = start + len;
      if (op === 'add') for (let i = start; i < end; i++, pa += ia!, pb += ib!) out[i] = a[pa]! + b[pb]!;
      else if (op === 'sub') for (let i = start; i < end; i++, pa += ia!, pb += ib!) out[i] = a[pa]! - b[pb]!;
      else if (op === 'mul') for (let i = start; i < end; i++, pa += ia!, pb += ib!) out[i] = a[pa]! * b[pb]!;
      else for (let i = start; i < end; i++, pa += ia!, pb += ib!) out[i] = a[pa]! / b[pb]!;
    });
    return out;
  }
  const f = BINARY[op];
  forEachBroadcast(outShape, [sa, sb], (start, len, [oa, ob], [ia, ib]) => {
    let pa = oa!;
    let pb = ob!;
    for (let i = start; i < start + len; i++, pa += ia!, pb += ib!) out[i] = f(a[pa]!, b[pb]!);
  });
  return out;
}

export function where(
  cond: TypedArray,
  cShape: readonly number[],
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  outShape: readonly number[],
  dtype: DType,
): TypedArray {
  const out = allocArray(dtype, numel(outShape));
  const strides = [broadcastStrides(cShape, outShape), broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)];
  forEachBroadcast(outShape, strides, (start, len, [oc, oa, ob], [ic, ia, ib]) => {
    let pc = oc!;
    let pa = oa!;
    let pb = ob!;
    for (let i = start; i < start + len; i++, pc += ic!, pa += ia!, pb += ib!) out[i] = cond[pc]! !== 0 ? a[pa]! : b[pb]!;
  });
  return out;
}

export function mapScalar(x: TypedArray, dtype: DType, f: (v: number) => number): TypedArray {
  const out = allocArray(dtype, x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
  return out;
}

