// The fused norm kernels (groupNorm / layerNorm and their backward) against the composite of
// elementwise ops and reductions that core's group_norm / layer_norm used to be, forward and all
// three gradients, in float32 on the cpu reference and on every backend available here, and in
// float64. Stated float32 tolerances (values in [-2, 2], rows of up to 48 values):
//   y, dx      |got - want| <= 2e-5 * (1 + |want|) * rstd-scale, with rstd-scale = max(1, rstd)
//              (both compute x - mean in float32 at one point or another; dividing by a small
//              standard deviation magnifies that rounding)
//   dw, db     sums over the batch of products: 4e-6 * R absolute + 1e-5 relative, R terms
// Float64: 1e-11 relative (two exact formulas, different rounding).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  add, div, mean, mul, reshape, sqrt, sub, sum, tensor, type Tensor,
} from '../../core/index.js';
import { cpuBackend, setBackend, getBackend, type GroupNormArgs, type KernelBackend, type LayerNormArgs } from '../../kernels/index.js';
import { backendCases } from './backends.js';
import { dim, seed, values } from './gen.js';
import { getBackendInstance } from './instance.js';

/** The composite the norms were built from: biased variance, (x - mu) / sqrt(v + eps), then the affine. */
function composite(x: Tensor, rows: number, affineShape: number[], w: Tensor | null, b: Tensor | null, eps: number): Tensor {
  const g = reshape(x, [rows, -1]);
  const mu = mean(g, [1], true);
  const centered = sub(g, mu);
  const v = mean(mul(centered, centered), [1], true);
  let out = reshape(div(centered, sqrt(add(v, eps))), x.shape);
  if (w) out = mul(out, reshape(w, affineShape));
  if (b) out = add(out, reshape(b, affineShape));
  return out;
}

interface Case {
  kind: 'group' | 'layer';
  shape: number[];
  groups: number;
  affine: boolean;
  eps: number;
  seed: number;
}

const groupCase: fc.Arbitrary<Case> = fc
  .record({ n: dim(3), groups: fc.integer({ min: 1, max: 3 }), per: dim(4), spatial: fc.array(dim(5), { minLength: 0, maxLength: 2 }), affine: fc.boolean(), eps: fc.constantFrom(1e-5, 1e-6), seed })
  .map((r) => ({ kind: 'group' as const, shape: [r.n, r.groups * r.per, ...r.spatial], groups: r.groups, affine: r.affine, eps: r.eps, seed: r.seed }));
const layerCase: fc.Arbitrary<Case> = fc
  .record({ lead: fc.array(dim(5), { minLength: 0, maxLength: 2 }), cols: dim(48), affine: fc.boolean(), eps: fc.constantFrom(1e-5, 1e-6), seed })
  .map((r) => ({ kind: 'layer' as const, shape: [...r.lead, r.cols], groups: 1, affine: r.affine, eps: r.eps, seed: r.seed }));

interface Run {
  y: Float64Array;
  dx: Float64Array;
  dw: Float64Array | null;
  db: Float64Array | null;
  rstdMax: number;
}

const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/** Forward and backward through the kernels of backend `be` directly. */
function viaKernels(be: KernelBackend, c: Case, x: Float32Array | Float64Array, w: Float32Array | Float64Array, b: Float32Array | Float64Array, dy: Float32Array | Float64Array): Run {
  const up = (v: Float32Array | Float64Array) => be.upload(cpuBackend().cast({ dtype: v instanceof Float64Array ? 'float64' : 'float32', size: v.length, backend: 'cpu', read: () => v, dispose: () => {} }, v instanceof Float64Array ? 'float64' : 'float32'));
  const [X, W, B, DY] = [up(x), up(w), up(b), up(dy)];
  const ch = c.kind === 'group' ? c.shape[1]! : c.shape[c.shape.length - 1]!;
  const f64 = (s: { read(): ArrayLike<number> } | null): Float64Array | null => (s ? Float64Array.from(s.read()) : null);
  if (c.kind === 'group') {
    const a: GroupNormArgs = { n: c.shape[0]!, c: ch, groups: c.groups, spatial: size(c.shape.slice(2)), eps: c.eps };
    const o = be.groupNorm(X, c.affine ? W : null, c.affine ? B : null, a);
    const g = be.groupNormBackward(DY, X, o.mean, o.rstd, c.affine ? W : null, a, c.affine, c.affine);
    return { y: f64(o.y)!, dx: f64(g.dx)!, dw: f64(g.dweight), db: f64(g.dbias), rstdMax: Math.max(...o.rstd.read()) };
  }
  const a: LayerNormArgs = { rows: size(c.shape) / ch, cols: ch, eps: c.eps };
  const o = be.layerNorm(X, c.affine ? W : null, c.affine ? B : null, a);
  const g = be.layerNormBackward(DY, X, o.mean, o.rstd, c.affine ? W : null, a, c.affine, c.affine);
  return { y: f64(o.y)!, dx: f64(g.dx)!, dw: f64(g.dweight), db: f64(g.dbias), rstdMax: Math.max(...o.rstd.read()) };
}

/** Forward and backward of the composite through autograd, on the cpu backend. */
function viaComposite(c: Case, dtype: 'float32' | 'float64', x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>, dy: ArrayLike<number>): Run {
  const prev = getBackend().name;
  setBackend('cpu');
  try {
    const ch = c.kind === 'group' ? c.shape[1]! : c.shape[c.shape.length - 1]!;
    const X = tensor(Array.from(x), { dtype, shape: c.shape, requires_grad: true });
    const W = tensor(Array.from(w), { dtype, shape: [ch], requires_grad: true });
    const B = tensor(Array.from(b), { dtype, shape: [ch], requires_grad: true });
    const rows = c.kind === 'group' ? c.shape[0]! * c.groups : size(c.shape) / ch;
    const affineShape = c.kind === 'group' ? [1, ch, ...c.shape.slice(2).map(() => 1)] : [ch];
    const y = composite(X, rows, affineShape, c.affine ? W : null, c.affine ? B : null, c.eps);
    sum(mul(y, tensor(Array.from(dy), { dtype, shape: c.shape }))).backward();
    const f64 = (t: Tensor | null): Float64Array | null => (t ? Float64Array.from(t.data) : null);
    return { y: f64(y)!, dx: f64(X.grad)!, dw: c.affine ? f64(W.grad) : null, db: c.affine ? f64(B.grad) : null, rstdMax: 0 };
  } finally {
    setBackend(prev);
  }
}

function within(what: string, got: ArrayLike<number> | null, want: ArrayLike<number> | null, atol: number, rtol: number): void {
  expect(got === null, `${what} presence`).toBe(want === null);
  if (!got || !want) return;
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= atol + rtol * Math.abs(want[i]!))) throw new Error(`${what} at ${i}: got ${got[i]}, want ${want[i]} (atol ${atol}, rtol ${rtol})`);
  }
}

function inputs(c: Case): [Float32Array, Float32Array, Float32Array, Float32Array] {
  const n = size(c.shape);
  const ch = c.kind === 'group' ? c.shape[1]! : c.shape[c.shape.length - 1]!;
  return [values(c.seed, n), values(c.seed + 1, ch, 0.5, 2), values(c.seed + 2, ch), values(c.seed + 3, n)];
}

/** Rows: batch terms summed into each dweight / dbias entry. */
const terms = (c: Case): number => size(c.shape) / (c.kind === 'group' ? c.shape[1]! : c.shape[c.shape.length - 1]!);

function checkFloat32(be: KernelBackend, c: Case): void {
  const [x, w, b, dy] = inputs(c);
  const got = viaKernels(be, c, x, w, b, dy);
  const want = viaComposite(c, 'float32', x, w, b, dy);
  const scale = Math.max(1, got.rstdMax);
  const tag = `${be.name} ${JSON.stringify(c)}`;
  within(`y ${tag}`, got.y, want.y, 2e-5 * scale, 2e-5 * scale);
  within(`dx ${tag}`, got.dx, want.dx, 2e-5 * scale * scale, 2e-5 * scale);
  within(`dw ${tag}`, got.dw, want.dw, 4e-6 * terms(c) * scale, 1e-5);
  within(`db ${tag}`, got.db, want.db, 4e-6 * terms(c), 1e-5);
}

describe('fused norms vs the composite they replaced', () => {
  it('float32 on the cpu reference: group norm', () => {
    fc.assert(fc.property(groupCase, (c) => checkFloat32(cpuBackend(), c)), { numRuns: 150 });
  });

  it('float32 on the cpu reference: layer norm', () => {
    fc.assert(fc.property(layerCase, (c) => checkFloat32(cpuBackend(), c)), { numRuns: 150 });
  });

  it('float64: the same values to 1e-11', () => {
    fc.assert(fc.property(fc.oneof(groupCase, layerCase), (c) => {
      const [x, w, b, dy] = inputs(c).map((v) => Float64Array.from(v, (t, i) => t + 1e-3 * Math.sin(i))) as [Float64Array, Float64Array, Float64Array, Float64Array];
      const got = viaKernels(cpuBackend(), c, x, w, b, dy);
      const want = viaComposite(c, 'float64', x, w, b, dy);
      const s = Math.max(1, got.rstdMax);
      for (const k of ['y', 'dx', 'dw', 'db'] as const) within(`${k} ${JSON.stringify(c)}`, got[k], want[k], 1e-11 * s * s, 1e-11 * s);
    }), { numRuns: 80 });
  });

  it('a group of equal values normalises to 0 (variance 0, eps keeps it finite) and a long row stays accurate', () => {
    const c: Case = { kind: 'group', shape: [1, 2, 3], groups: 1, affine: false, eps: 1e-5, seed: 1 };
    const r = viaKernels(cpuBackend(), c, new Float32Array(6).fill(1.5), new Float32Array(2), new Float32Array(2), new Float32Array(6).fill(1));
    expect(Array.from(r.y)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(r.dx).every((v) => v === 0)).toBe(true);
    // 4096 values with a large common offset: float64 sums keep mean and variance exact enough
    const long: Case = { kind: 'layer', shape: [2, 4096], groups: 1, affine: true, eps: 1e-5, seed: 9 };
    const [x, w, b, dy] = inputs(long);
    const shifted = x.map((v) => v + 100);
    const got = viaKernels(cpuBackend(), long, shifted, w, b, dy);
    const want = viaComposite(long, 'float64', shifted, w, b, dy);
    within('y (long row)', got.y, want.y, 2e-5, 2e-5);
    within('dx (long row)', got.dx, want.dx, 2e-5, 2e-5);
  });
});

for (const bc of backendCases()) {
  describe.skipIf(bc.skip !== null)(`fused norms on ${bc.name}`, () => {
    it('match the composite in float32 (same tolerances as cpu)', () => {
      fc.assert(fc.property(fc.oneof(groupCase, layerCase), (c) => checkFloat32(getBackendInstance(bc.name), c)), { numRuns: bc.runs });
    });
  });
}
