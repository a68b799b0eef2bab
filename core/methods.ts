// Chained methods (x.add(y).sum()), installed on Tensor's prototype from the functional ops, as
// TF.js does; the functions stay the single definition of each op.
import { backward } from './autograd.js';
import * as E from './ops/elementwise.js';
import * as L from './ops/linalg.js';
import * as M from './ops/movement.js';
import * as N from './ops/nn.js';
import * as R from './ops/reduce.js';
import type { Shape } from './shape.js';
import { Tensor } from './tensor.js';
import type { DType } from '../kernels/index.js';

type TL = E.TensorLike;
type Dims = number | readonly number[];

declare module './tensor.js' {
  interface Tensor {
    backward(gradient?: Tensor): void;
    add(o: TL): Tensor;
    sub(o: TL): Tensor;
    mul(o: TL): Tensor;
    div(o: TL): Tensor;
    neg(): Tensor;
    pow(p: number): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    clamp(lo?: number, hi?: number): Tensor;
    sum(dims?: Dims, keepdim?: boolean): Tensor;
    mean(dims?: Dims, keepdim?: boolean): Tensor;
    amax(dims?: Dims, keepdim?: boolean): Tensor;
    amin(dims?: Dims, keepdim?: boolean): Tensor;
    reshape(shape: Shape): Tensor;
    view(shape: Shape): Tensor;
    flatten(start?: number, end?: number): Tensor;
    unsqueeze(dim: number): Tensor;
    squeeze(dim?: number): Tensor;
    permute(dims: readonly number[]): Tensor;
    transpose(d0: number, d1: number): Tensor;
    expand(shape: Shape): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    flip(dims: Dims): Tensor;
    matmul(o: Tensor): Tensor;
    softmax(dim?: number): Tensor;
    to(dtype: DType): Tensor;
    float(): Tensor;
    double(): Tensor;
    clone(): Tensor;
  }
}

const P = Tensor.prototype;
P.backward = function (gradient?: Tensor) {
  backward(this, gradient);
};
P.add = function (o) { return E.add(this, o); };
P.sub = function (o) { return E.sub(this, o); };
P.mul = function (o) { return E.mul(this, o); };
P.div = function (o) { return E.div(this, o); };
P.neg = function () { return E.neg(this); };
P.pow = function (p) { return E.pow(this, p); };
P.exp = function () { return E.exp(this); };
P.log = function () { return E.log(this); };
P.sqrt = function () { return E.sqrt(this); };
P.abs = function () { return E.abs(this); };
P.sigmoid = function () { return E.sigmoid(this); };
P.tanh = function () { return E.tanh(this); };
P.clamp = function (lo, hi) { return E.clamp(this, lo, hi); };
P.sum = function (d, k) { return R.sum(this, d, k); };
P.mean = function (d, k) { return R.mean(this, d, k); };
P.amax = function (d, k) { return R.amax(this, d, k); };
P.amin = function (d, k) { return R.amin(this, d, k); };
P.reshape = function (s) { return M.reshape(this, s); };
P.view = function (s) { return M.reshape(this, s); };
P.flatten = function (s, e) { return M.flatten(this, s, e); };
P.unsqueeze = function (d) { return M.unsqueeze(this, d); };
P.squeeze = function (d) { return M.squeeze(this, d); };
P.permute = function (d) { return M.permute(this, d); };
P.transpose = function (a, b) { return M.transpose(this, a, b); };
P.expand = function (s) { return M.expand(this, s); };
P.narrow = function (d, s, l) { return M.narrow(this, d, s, l); };
P.flip = function (d) { return M.flip(this, d); };
P.matmul = function (o) { return L.matmul(this, o); };
P.softmax = function (d) { return N.softmax(this, d); };
P.to = function (dt) { return E.toDtype(this, dt); };
P.float = function () { return E.toDtype(this, 'float32'); };
P.double = function () { return E.toDtype(this, 'float64'); };
/** A copy with its own storage that stays in the graph (gradient passes through). */
P.clone = function () { return E.mul(this, 1); };
