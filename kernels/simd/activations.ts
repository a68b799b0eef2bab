// The exp-based activations and their gradients as SIMD map formulas (see map_module.ts), with
// the same algebra as the cpu reference (kernels/cpu/unary.ts): sigmoid and tanh through
// e^{-|x|} so they never overflow, gelu through the Abramowitz-Stegun erf (|error| < 1.5e-7).
import type { UnaryOp } from '../backend.js';
import { abs, add, c, div, exp, G, ltsel, mul, neg, r, sub, X, type Expr, type Formula } from './map_module.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2 = 1 / Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const one = c(1);

/** Steps binding `name` = sigmoid(v). */
const sigmoid = (name: string, v: Expr): Formula => [
  [`${name}_e`, exp(neg(abs(v)))],
  [name, ltsel(v, c(0), div(r(`${name}_e`), add(one, r(`${name}_e`))), div(one, add(one, r(`${name}_e`))))],
];
const tanh = (name: string, v: Expr): Formula => [
  [`${name}_e`, exp(mul(c(-2), abs(v)))],
  [`${name}_m`, div(sub(one, r(`${name}_e`)), add(one, r(`${name}_e`)))],
  [name, ltsel(v, c(0), neg(r(`${name}_m`)), r(`${name}_m`))],
];
/** erf(v) by A&S 7.1.26. */
const erf = (name: string, v: Expr): Formula => {
  const z = r(`${name}_z`);
  const t = r(`${name}_t`);
  let poly: Expr = c(1.061405429);
  for (const k of [-1.453152027, 1.421413741, -0.284496736, 0.254829592]) poly = add(mul(poly, t), c(k));
  return [
    [`${name}_z`, abs(v)],
    [`${name}_t`, div(one, add(one, mul(c(0.3275911), z)))],
    [`${name}_m`, sub(one, mul(mul(poly, t), exp(neg(mul(z, z)))))],
    [name, ltsel(v, c(0), neg(r(`${name}_m`)), r(`${name}_m`))],
  ];
};

/** Forward formulas (result = op(x)), for the ops worth a SIMD exp. */
export const FORWARD: Partial<Record<UnaryOp, Formula>> = {
  exp: [['y', exp(X)]],
  sigmoid: [...sigmoid('s', X), ['y', r('s')]],
  tanh: [...tanh('t', X), ['y', r('t')]],
  silu: [...sigmoid('s', X), ['y', mul(X, r('s'))]],
  quick_gelu: [...sigmoid('s', mul(c(1.702), X)), ['y', mul(X, r('s'))]],
  gelu: [...erf('e', mul(X, c(INV_SQRT_2))), ['y', mul(mul(c(0.5), X), add(one, r('e')))]],
  gelu_tanh: [...tanh('t', mul(c(SQRT_2_OVER_PI), add(X, mul(c(0.044715), mul(X, mul(X, X)))))), ['y', mul(mul(c(0.5), X), add(one, r('t')))]],
};

/** Gradient formulas (result = g * op'(x)). */
export const BACKWARD: Partial<Record<UnaryOp, Formula>> = {
  exp: [['y', mul(G, exp(X))]],
  sigmoid: [...sigmoid('s', X), ['y', mul(G, mul(r('s'), sub(one, r('s'))))]],
  tanh: [...tanh('t', X), ['y', mul(G, sub(one, mul(r('t'), r('t'))))]],
  silu: [...sigmoid('s', X), ['y', mul(G, mul(r('s'), add(one, mul(X, sub(one, r('s'))))))]],
  quick_gelu: [...sigmoid('s', mul(c(1.702), X)), ['y', mul(G, add(r('s'), mul(mul(c(1.702), X), mul(r('s'), sub(one, r('s'))))))]],
  gelu: [
    ...erf('e', mul(X, c(INV_SQRT_2))),
    ['y', mul(G, add(mul(c(0.5), add(one, r('e'))), mul(mul(X, c(INV_SQRT_2PI)), exp(mul(c(-0.5), mul(X, X))))))],
  ],
  gelu_tanh: [
    ...tanh('t', mul(c(SQRT_2_OVER_PI), add(X, mul(c(0.044715), mul(X, mul(X, X)))))),
    ['du', mul(c(SQRT_2_OVER_PI), add(one, mul(c(3 * 0.044715), mul(X, X))))],
    ['y', mul(G, add(mul(c(0.5), add(one, r('t'))), mul(mul(mul(c(0.5), X), sub(one, mul(r('t'), r('t')))), r('du'))))],
  ],
};

/** Every map the engine compiles, by export name: f_<op> forward, b_<op> its gradient. */
export function mapFormulas(): Record<string, Formula> {
  const formulas: Record<string, Formula> = {};
  for (const [op, f] of Object.entries(FORWARD)) formulas[`f_${op}`] = f;
  for (const [op, f] of Object.entries(BACKWARD)) formulas[`b_${op}`] = f;
  return formulas;
}
