// The cpu reference's fast paths against its own general code or naive loops written here:
// float32 binary ops over collapsed broadcast runs, float32 activation loops, the fast erf behind
// float32 gelu, collapsed reductions, and collapsed strided copies and their scatter-add.
// Tolerances: add/sub/mul/div and the activations other than gelu compute the float64 formula and
// round once, so they are exact against the float64 result rounded to float32; gelu differs by the
// fast erf (|erf32 - erf| < 1e-9): within 1e-8 + 1.2e-7 |want|; float32 sums accumulate in float64:
// within one float32 rounding (6e-8 relative) plus 1e-12 * R of float64 reordering.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpuBackend, HostStorage, type BinaryOp, type StridedArgs, type UnaryOp } from '../../kernels/index.js';
import { erf32 } from '../../kernels/cpu/erf32.js';
import { erf } from '../../kernels/cpu/unary.js';
import { broadcastPair, seed, shape, values } from './gen.js';

const cpu = cpuBackend();
const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const f64 = (v: Float32Array): HostStorage => new HostStorage(Float64Array.from(v));

function sameAsRounded(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = Math.fround(want[i]!);
    if (!(Object.is(got[i], w) || (Number.isNaN(got[i]!) && Number.isNaN(w)))) throw new Error(`${what} at ${i}: got ${got[i]}, want ${w}`);
  }
}

describe('float32 fast paths of the cpu reference', () => {
  it('binary add/sub/mul/div over every broadcast pattern equal the float64 path rounded once', () => {
    fc.assert(fc.property(fc.constantFrom<BinaryOp>('add', 'sub', 'mul', 'div'), broadcastPair, seed, (op, { out, a, b }, s) => {
      const A = values(s, size(a));
      const B = op === 'div' ? values(s + 1, size(b), 0.25, 2) : values(s + 1, size(b));
      const got = cpu.binary(op, new HostStorage(A), a, new HostStorage(B), b, out).read();
      expect(got).toBeInstanceOf(Float32Array);
      sameAsRounded(got, cpu.binary(op, f64(A), a, f64(B), b, out).read(), `${op} ${JSON.stringify({ out, a, b })}`);
    }), { numRuns: 300 });
  });

  it('binary with an operand broadcast over leading, middle and trailing runs (bias shapes)', () => {
    for (const [out, b] of [[[2, 5, 3, 3], [1, 5, 1, 1]], [[2, 7, 9], [1, 1, 9]], [[4, 6, 1], [4, 1, 1]], [[3, 1, 4], [1, 1, 1]], [[1, 1, 1], [1, 1, 1]]] as const) {
      const A = values(3, size(out));
      const B = values(4, size(b));
      for (const op of ['add', 'sub', 'mul'] as const) {
        sameAsRounded(cpu.binary(op, new HostStorage(A), out, new HostStorage(B), b, out).read(), cpu.binary(op, f64(A), out, f64(B), b, out).read(), `${op} ${out} ${b}`);
        sameAsRounded(cpu.binary(op, new HostStorage(B), b, new HostStorage(A), out, out).read(), cpu.binary(op, f64(B), b, f64(A), out, out).read(), `${op} ${b} ${out}`);
      }
    }
  });

  it('activation loops equal the float64 formulas rounded once; gelu within the fast-erf bound', () => {
    const ops: UnaryOp[] = ['neg', 'exp', 'sqrt', 'square', 'relu', 'sigmoid', 'silu', 'gelu'];
    fc.assert(fc.property(fc.constantFrom(...ops), fc.integer({ min: 1, max: 60 }), seed, fc.constantFrom(4, 40), (op, n, s, range) => {
      const x = values(s, n, op === 'sqrt' ? 0 : -range, range);
      const dy = values(s + 1, n);
      const pairs: [ArrayLike<number>, ArrayLike<number>, string][] = [
        [cpu.unary(op, new HostStorage(x)).read(), cpu.unary(op, f64(x)).read(), `unary ${op}`],
        [cpu.unaryGrad(op, new HostStorage(x), new HostStorage(dy)).read(), cpu.unaryGrad(op, f64(x), f64(dy)).read(), `unaryGrad ${op}`],
      ];
      for (const [got, want, what] of pairs) {
        if (op !== 'gelu') sameAsRounded(got, want, what);
        else for (let i = 0; i < n; i++) if (!(Math.abs(got[i]! - want[i]!) <= 1e-8 + 1.2e-7 * Math.abs(want[i]!))) throw new Error(`${what} at x=${x[i]}: ${got[i]} vs ${want[i]}`);
      }
    }), { numRuns: 200 });
  });

  it('erf32 is within 1e-9 of the exact series everywhere, odd, and saturates', () => {
    let worst = 0;
    for (let x = -7; x <= 7; x += 1 / 4096) worst = Math.max(worst, Math.abs(erf32(x) - erf(x)));
    expect(worst).toBeLessThan(1e-9);
    for (const x of [0.1, 0.5, 1.7, 3.9, 4.49]) expect(erf32(-x)).toBe(-erf32(x));
    expect(erf32(Infinity)).toBe(1);
    expect(erf32(-Infinity)).toBe(-1);
    expect(Number.isNaN(erf32(NaN))).toBe(true);
  });
});

/** Naive reduction: every element visited through its multi-index, accumulated in float64. */
function naiveReduce(op: 'sum' | 'max' | 'min', x: ArrayLike<number>, sh: number[], axes: number[]): number[] {
  const keep = sh.map((_, d) => !axes.includes(d));
  const outShape = sh.filter((_, d) => keep[d]);
  const out = new Array<number>(size(outShape)).fill(op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity);
  for (let i = 0; i < x.length; i++) {
    let rem = i;
    let o = 0;
    for (let d = sh.length - 1, stride = 1; d >= 0; d--) {
      const c = rem % sh[d]!;
      rem = Math.floor(rem / sh[d]!);
      if (keep[d]) {
        o += c * stride;
        stride *= sh[d]!;
      }
    }
    const v = x[i]!;
    out[o] = op === 'sum' ? out[o]! + v : op === 'max' ? (v > out[o]! || Number.isNaN(v) ? v : out[o]!) : v < out[o]! || Number.isNaN(v) ? v : out[o]!;
  }
  return out;
}

describe('collapsed reductions and strided copies of the cpu reference', () => {
  it('reduce over any axes matches a naive loop (float32 and float64)', () => {
    fc.assert(fc.property(shape(0, 4, 6), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.constantFrom('sum' as const, 'max' as const, 'min' as const), seed, (sh, pick, op, s) => {
      const axes = sh.map((_, i) => i).filter((i) => pick[i]);
      const x = values(s, size(sh));
      const r = axes.reduce((acc, d) => acc * sh[d]!, 1);
      const want = naiveReduce(op, x, sh, axes);
      const got32 = cpu.reduce(op, new HostStorage(x), sh, axes).read();
      const got64 = cpu.reduce(op, f64(x), sh, axes).read();
      for (let i = 0; i < want.length; i++) {
        expect(Math.abs(got64[i]! - want[i]!)).toBeLessThanOrEqual(1e-12 * r);
        expect(Math.abs(got32[i]! - want[i]!)).toBeLessThanOrEqual(6e-8 * Math.abs(want[i]!) + 1e-12 * r);
      }
    }), { numRuns: 300 });
  });

  it('strided views and their scatter-add match naive index arithmetic', () => {
    const viewArb = shape(1, 4, 5).chain((sh) => fc.record({
      sh: fc.constant(sh),
      strides: fc.array(fc.integer({ min: -7, max: 7 }), { minLength: sh.length, maxLength: sh.length }),
    }));
    fc.assert(fc.property(viewArb, seed, ({ sh, strides }, s) => {
      // offset so that every index the view reaches is inside a source of `span` values
      let lo = 0;
      let hi = 0;
      sh.forEach((d, i) => {
        const reach = (d - 1) * strides[i]!;
        if (reach < 0) lo += reach;
        else hi += reach;
      });
      const args: StridedArgs = { outShape: sh, strides, offset: -lo };
      const span = hi - lo + 1;
      const x = values(s, span);
      const want = new Float64Array(size(sh));
      const scatter = new Float64Array(span);
      const src = values(s + 1, size(sh));
      for (let i = 0; i < want.length; i++) {
        let rem = i;
        let p = args.offset;
        for (let d = sh.length - 1; d >= 0; d--) {
          p += (rem % sh[d]!) * strides[d]!;
          rem = Math.floor(rem / sh[d]!);
        }
        want[i] = x[p]!;
        scatter[p]! += src[i]!;
      }
      sameAsRounded(cpu.strided(new HostStorage(x), args).read(), want, `strided ${JSON.stringify(args)}`);
      const got = cpu.stridedScatterAdd(new HostStorage(src), span, args).read();
      for (let i = 0; i < span; i++) expect(Math.abs(got[i]! - scatter[i]!)).toBeLessThanOrEqual(6e-8 * Math.abs(scatter[i]!) * 8);
    }), { numRuns: 300 });
  });
});
