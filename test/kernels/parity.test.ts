// Every kernel of every gpu.js backend available here against the cpu reference, on inputs that
// fast-check generates. Tolerances are float32 and stated per kernel (TOL below): copies and
// selections are exact, single-rounding arithmetic is within an ulp or two, transcendentals within
// 1e-5 relative, and sums of R products within 4e-6 * R absolute (values lie in [-2, 2], so a
// term is at most 4 and float32 accumulation error grows with R).
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { cpuBackend, type BinaryOp, type Conv2dArgs, type KernelBackend, type MatmulArgs, type Storage, type UnaryOp } from '../../kernels/index.js';
import { backendCases, type BackendCase } from './backends.js';
import { broadcastPair, dim, host, mismatch, seed, shape } from './gen.js';
import { getBackendInstance } from './instance.js';
import { setSimdFma } from '../../kernels/simd/gemm.js';

interface Tol {
  atol: number;
  rtol: number;
}
const EXACT: Tol = { atol: 0, rtol: 0 };
/** Exact for normal floats; GL flushes subnormals (|x| < 2^-126) to zero, as GPUs may. */
const EXACT_NORMAL: Tol = { atol: 2 ** -126, rtol: 0 };
const ULP: Tol = { atol: 1e-7, rtol: 3e-7 };
const TRANSCENDENTAL: Tol = { atol: 2e-6, rtol: 1e-5 };
/** Sums of `r` terms of magnitude up to 4. */
const sumOf = (r: number): Tol => ({ atol: 4e-6 * Math.max(1, r), rtol: 1e-5 });

const UNARY_TOL: Record<UnaryOp, Tol> = {
  neg: EXACT, abs: EXACT, relu: EXACT, square: ULP, reciprocal: ULP,
  exp: TRANSCENDENTAL, log: TRANSCENDENTAL, sqrt: TRANSCENDENTAL, sigmoid: TRANSCENDENTAL, tanh: TRANSCENDENTAL,
  silu: TRANSCENDENTAL, gelu: TRANSCENDENTAL, gelu_tanh: TRANSCENDENTAL, quick_gelu: TRANSCENDENTAL, sin: TRANSCENDENTAL, cos: TRANSCENDENTAL,
};
const BINARY_TOL: Record<BinaryOp, Tol> = {
  add: ULP, sub: ULP, mul: ULP, div: ULP, maximum: EXACT, minimum: EXACT, eq: EXACT, gt: EXACT, lt: EXACT,
};
/** Ops whose inputs must stay in their domain (positive, or away from a pole). */
const POSITIVE: ReadonlySet<UnaryOp> = new Set(['log', 'sqrt', 'reciprocal']);

const cpu = cpuBackend();

function check(got: Storage, want: Storage, tol: Tol, what: string): void {
  const m = mismatch(got.read(), want.read(), tol.atol, tol.rtol);
  if (m) throw new Error(`${what}: ${m}`);
  got.dispose();
}

// gpujs-webasm runs twice: with the GEMM's fused multiply-add (relaxed SIMD, where the host has it)
// and with the mul + add kernel that BAS_RELAXED_SIMD=0 or a host without relaxed SIMD gets
const fmaAvailable = backendCases().some((bc) => bc.name === 'gpujs-webasm' && bc.skip === null) && setSimdFma(true);
if (!fmaAvailable) console.log('[kernels] relaxed SIMD unavailable: the fused GEMM kernel is not tested');
const variants = backendCases().flatMap((bc): { bc: BackendCase; fma: boolean | null }[] =>
  bc.name === 'gpujs-webasm' ? [...(fmaAvailable ? [{ bc, fma: true }] : []), { bc, fma: false }] : [{ bc, fma: null }]);

for (const { bc, fma } of variants) {
  describe.skipIf(bc.skip !== null)(`parity ${bc.name}${fma === null ? '' : fma ? ' (fused multiply-add)' : ' (mul + add)'} vs cpu`, () => {
    const be = (): KernelBackend => getBackendInstance(bc.name);
    const params = { numRuns: bc.runs };
    if (fma !== null) {
      beforeEach(() => void setSimdFma(fma));
      afterAll(() => void setSimdFma(fmaAvailable));
    }

    it('unary and unaryGrad, every op', () => {
      // inputs up to +-4, or +-40 where exp saturates and overflows (sigmoid, tanh, exp itself)
      fc.assert(fc.property(fc.constantFrom(...(Object.keys(UNARY_TOL) as UnaryOp[])), dim(40), seed, fc.constantFrom(4, 40), (op, n, s, range) => {
        const lo = POSITIVE.has(op) ? 0.125 : -range;
        const x = host(s, n, lo, range);
        const dy = host(s + 1, n);
        check(be().unary(op, x), cpu.unary(op, x), UNARY_TOL[op], `unary ${op}`);
        check(be().unaryGrad(op, x, dy), cpu.unaryGrad(op, x, dy), UNARY_TOL[op], `unaryGrad ${op}`);
      }), { numRuns: bc.runs * 2 });
    });

    it('powScalar, clamp', () => {
      fc.assert(fc.property(dim(40), seed, fc.constantFrom(0, 1, 2, 3, -1, 0.5, 1.5, -2.5), fc.double({ min: -3, max: 3, noNaN: true }), (n, s, p, c) => {
        const x = host(s, n, p === Math.floor(p) ? -2 : 0.125, 2);
        check(be().powScalar(x, p), cpu.powScalar(x, p), TRANSCENDENTAL, `pow ${p}`);
        const [lo, hi] = [Math.fround(Math.min(c, c / 2)), Math.fround(Math.max(c, c / 2))];
        check(be().clamp(x, lo, hi), cpu.clamp(x, lo, hi), EXACT_NORMAL, 'clamp');
      }), params);
    });

    it('binary with broadcasting, every op', () => {
      fc.assert(fc.property(fc.constantFrom(...(Object.keys(BINARY_TOL) as BinaryOp[])), broadcastPair, seed, (op, { out, a, b }, s) => {
        const size = (sh: number[]): number => sh.reduce((x, y) => x * y, 1);
        const A = host(s, size(a));
        // division away from 0; equality needs shared values, so b draws from the same stream
        const B = op === 'div' ? host(s + 7, size(b), 0.5, 2) : op === 'eq' ? host(s, size(b)) : host(s + 7, size(b));
        check(be().binary(op, A, a, B, b, out), cpu.binary(op, A, a, B, b, out), BINARY_TOL[op], `binary ${op} ${JSON.stringify({ out, a, b })}`);
      }), { numRuns: bc.runs * 2 });
    });

    it('where with broadcasting', () => {
      fc.assert(fc.property(broadcastPair, fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), seed, ({ out, a, b }, mc, s) => {
        const c = out.map((d, i) => (mc[i] ? 1 : d));
        const size = (sh: number[]): number => sh.reduce((x, y) => x * y, 1);
        const C = host(s + 3, size(c), -1, 1);
        const A = host(s, size(a));
        const B = host(s + 1, size(b));
        check(be().where(C, c, A, a, B, b, out), cpu.where(C, c, A, a, B, b, out), EXACT, 'where');
      }), params);
    });

    it('reduce sum/max/min over any axes', () => {
      fc.assert(fc.property(shape(1, 4, 7), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.constantFrom('sum' as const, 'max' as const, 'min' as const), seed, (sh, pick, op, s) => {
        const axes = sh.map((_, i) => i).filter((i) => pick[i]);
        const x = host(s, sh.reduce((a, b) => a * b, 1));
        const r = axes.reduce((acc, d) => acc * sh[d]!, 1);
        check(be().reduce(op, x, sh, axes), cpu.reduce(op, x, sh, axes), op === 'sum' ? sumOf(r) : EXACT, `reduce ${op} ${JSON.stringify({ sh, axes })}`);
      }), params);
    });

    it('matmul and bmm, transposed operands, broadcast batch', () => {
      const arb = fc.record({
        batch: fc.integer({ min: 1, max: 3 }), m: dim(19), k: dim(21), n: dim(19),
        transA: fc.boolean(), transB: fc.boolean(), shareA: fc.boolean(), shareB: fc.boolean(),
      });
      fc.assert(fc.property(arb, seed, (g, s) => {
        const args: MatmulArgs = { batch: g.batch, m: g.m, k: g.k, n: g.n, transA: g.transA, transB: g.transB, strideA: g.shareA ? 0 : g.m * g.k, strideB: g.shareB ? 0 : g.k * g.n };
        const A = host(s, (g.shareA ? 1 : g.batch) * g.m * g.k);
        const B = host(s + 1, (g.shareB ? 1 : g.batch) * g.k * g.n);
        check(be().matmul(A, B, args), cpu.matmul(A, B, args), sumOf(g.k), `matmul ${JSON.stringify(args)}`);
        // the fused bias: on the cpu exactly the product plus a broadcast add, elsewhere within the product's tolerance
        const bias = host(s + 2, g.n);
        const rows = g.batch * g.m;
        const unfused = cpu.binary('add', cpu.matmul(A, B, args), [rows, g.n], bias, [1, g.n], [rows, g.n]);
        check(cpu.matmul(A, B, args, bias), unfused, EXACT, `cpu matmul + bias ${JSON.stringify(args)}`);
        check(be().matmul(A, B, args, bias), unfused, sumOf(g.k), `matmul + bias ${JSON.stringify(args)}`);
      }), { numRuns: bc.runs * 2 });
    });

    it('matmul with alpha: the product times alpha, bit for bit what a separate multiply gives', () => {
      const arb = fc.record({ batch: fc.integer({ min: 1, max: 3 }), m: dim(19), k: dim(21), n: dim(19), transA: fc.boolean(), transB: fc.boolean() });
      fc.assert(fc.property(arb, seed, fc.constantFrom(0.125, 1 / Math.sqrt(8), -0.3, 1 / 3), (g, s, alpha) => {
        const args: MatmulArgs = { batch: g.batch, m: g.m, k: g.k, n: g.n, transA: g.transA, transB: g.transB, strideA: g.m * g.k, strideB: g.k * g.n };
        const A = host(s, g.batch * g.m * g.k);
        const B = host(s + 1, g.batch * g.k * g.n);
        const size = g.batch * g.m * g.n;
        const scalar = host(0, 1);
        scalar.data[0] = alpha;
        // on every backend the fused scale is its own product followed by a float32 multiply
        const unfused = (b: KernelBackend): Storage => b.binary('mul', b.matmul(A, B, args), [size], scalar, [1], [size]);
        const what = `matmul alpha ${alpha} ${JSON.stringify(args)}`;
        check(cpu.matmul(A, B, { ...args, alpha }), unfused(cpu), EXACT, `cpu ${what}`);
        check(be().matmul(A, B, { ...args, alpha }), unfused(be()), bc.mode === 'headlessgl' ? EXACT_NORMAL : EXACT, what);
        check(be().matmul(A, B, { ...args, alpha }), unfused(cpu), sumOf(g.k), `${what} vs cpu`);
      }), params);
      // past the SIMD tiles and the threading threshold
      const args: MatmulArgs = { batch: 2, m: 130, k: 70, n: 77, transA: false, transB: true, strideA: 130 * 70, strideB: 70 * 77, alpha: 0.125 };
      const A = host(3, 2 * 130 * 70);
      const B = host(4, 2 * 70 * 77);
      const scalar = host(0, 1);
      scalar.data[0] = 0.125;
      const size = 2 * 130 * 77;
      const plain = { ...args, alpha: 1 };
      check(be().matmul(A, B, args), be().binary('mul', be().matmul(A, B, plain), [size], scalar, [1], [size]), EXACT_NORMAL, 'matmul alpha, big');
    });

    it('matmul at sizes past the SIMD and threading thresholds', () => {
      // then k in blocks added into C (k >= 512: 601 = 301 + 300, 700 = 2 x 350, 513 = 257 + 256,
      // 1000 = 334 + 334 + 332) and row-major B copied with padded rows (n a multiple of 128)
      for (const [batch, m, k, n, tA, tB] of [
        [1, 67, 129, 70, false, false], [3, 33, 65, 35, true, true], [1, 130, 200, 90, false, true],
        [1, 133, 601, 50, false, false], [2, 129, 700, 77, true, false], [1, 5, 513, 3, true, true],
        [1, 6, 1000, 9, false, true], [1, 9, 40, 128, false, false], [2, 7, 530, 256, false, false],
      ] as const) {
        const args: MatmulArgs = { batch, m, k, n, transA: tA, transB: tB, strideA: m * k, strideB: k * n };
        const A = host(m + k, batch * m * k);
        const B = host(n + k, batch * k * n);
        check(be().matmul(A, B, args), cpu.matmul(A, B, args), sumOf(k), `matmul ${JSON.stringify(args)}`);
      }
    });

    it('matmul keeps rows and columns apart: Inf and NaN reach only their own row or column', () => {
      // the SIMD GEMM reads past the edges of its tiles (the next row's values) into results it discards
      fc.assert(fc.property(dim(9), dim(9), dim(11), fc.boolean(), fc.boolean(), seed, (m, k, n, transA, transB, s) => {
        const args: MatmulArgs = { batch: 1, m, k, n, transA, transB, strideA: 0, strideB: 0 };
        const A = host(s, m * k);
        const B = host(s + 1, k * n);
        const r = s % m;
        const c = (s >> 3) % n;
        for (let p = 0; p < k; p++) {
          A.data[transA ? p * m + r : r * k + p] = Infinity;
          B.data[transB ? c * k + p : p * n + c] = NaN;
        }
        check(be().matmul(A, B, args), cpu.matmul(A, B, args), sumOf(k), `matmul with a poisoned row ${r} and column ${c} ${JSON.stringify(args)}`);
      }), params);
    });

    it('conv2d forward and both backward products', () => {
      const arb = fc.record({
        n: fc.integer({ min: 1, max: 2 }), c: dim(5), h: dim(9), w: dim(9), o: dim(5),
        kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 3 }),
        strideH: fc.integer({ min: 1, max: 2 }), strideW: fc.integer({ min: 1, max: 2 }),
        padH: fc.integer({ min: 0, max: 2 }), padW: fc.integer({ min: 0, max: 2 }),
      }).filter((a) => a.h + 2 * a.padH >= a.kh && a.w + 2 * a.padW >= a.kw);
      fc.assert(fc.property(arb, seed, (g, s) => {
        const outH = Math.floor((g.h + 2 * g.padH - g.kh) / g.strideH) + 1;
        const outW = Math.floor((g.w + 2 * g.padW - g.kw) / g.strideW) + 1;
        const a: Conv2dArgs = { ...g, outH, outW };
        const X = host(s, g.n * g.c * g.h * g.w);
        const W = host(s + 1, g.o * g.c * g.kh * g.kw);
        const DY = host(s + 2, g.n * g.o * outH * outW);
        const what = JSON.stringify(a);
        check(be().conv2d(X, W, a), cpu.conv2d(X, W, a), sumOf(g.c * g.kh * g.kw), `conv2d ${what}`);
        const bias = host(s + 3, g.o);
        const shape = [g.n, g.o, outH * outW];
        const unfused = cpu.binary('add', cpu.conv2d(X, W, a), shape, bias, [1, g.o, 1], shape);
        check(cpu.conv2d(X, W, a, bias), unfused, EXACT, `cpu conv2d + bias ${what}`);
        check(be().conv2d(X, W, a, bias), unfused, sumOf(g.c * g.kh * g.kw), `conv2d + bias ${what}`);
        check(be().conv2dBackwardInput(DY, W, a), cpu.conv2dBackwardInput(DY, W, a), sumOf(g.o * g.kh * g.kw), `conv2dBackwardInput ${what}`);
        check(be().conv2dBackwardFilter(X, DY, a), cpu.conv2dBackwardFilter(X, DY, a), sumOf(g.n * outH * outW), `conv2dBackwardFilter ${what}`);
      }), params);
    });

    it('conv2d at sizes past the column-blocking and threading thresholds', () => {
      for (const g of [
        { n: 2, c: 16, h: 33, w: 35, o: 24, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1 },
        { n: 1, c: 40, h: 19, w: 17, o: 70, kh: 3, kw: 2, strideH: 2, strideW: 1, padH: 0, padW: 1 },
      ]) {
        const a: Conv2dArgs = { ...g, outH: Math.floor((g.h + 2 * g.padH - g.kh) / g.strideH) + 1, outW: Math.floor((g.w + 2 * g.padW - g.kw) / g.strideW) + 1 };
        const X = host(3, g.n * g.c * g.h * g.w);
        const W = host(4, g.o * g.c * g.kh * g.kw);
        const DY = host(5, g.n * g.o * a.outH * a.outW);
        check(be().conv2d(X, W, a), cpu.conv2d(X, W, a), sumOf(g.c * g.kh * g.kw), 'conv2d');
        check(be().conv2dBackwardInput(DY, W, a), cpu.conv2dBackwardInput(DY, W, a), sumOf(g.o * g.kh * g.kw), 'conv2dBackwardInput');
        check(be().conv2dBackwardFilter(X, DY, a), cpu.conv2dBackwardFilter(X, DY, a), sumOf(g.n * a.outH * a.outW), 'conv2dBackwardFilter');
      }
    });

    it('softmax and softmaxBackward', () => {
      fc.assert(fc.property(dim(9), dim(40), seed, fc.boolean(), (rows, cols, s, masked) => {
        const x = host(s, rows * cols, -8, 8);
        // attention masks: some -Infinity logits (never a whole row)
        if (masked && cols > 1) for (let r = 0; r < rows; r++) x.data[r * cols + ((r + s) % cols)] = -Infinity;
        const y = cpu.softmax(x, rows, cols);
        const dy = host(s + 1, rows * cols);
        check(be().softmax(x, rows, cols), y, { atol: 1e-6, rtol: 1e-5 }, `softmax ${rows}x${cols}`);
        check(be().softmaxBackward(y, dy, rows, cols), cpu.softmaxBackward(y, dy, rows, cols), { atol: 4e-6 * cols, rtol: 1e-5 }, `softmaxBackward ${rows}x${cols}`);
      }), params);
    });

    it('strided views (permute, slice, expand, flip) and their scatter-add adjoint', () => {
      fc.assert(fc.property(shape(1, 4, 6), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }), seed, (sh, kinds, s) => {
        // a view of a contiguous `sh` tensor: per dim, keep / flip / expand (stride 0) / slice
        const cont = sh.map((_, i) => sh.slice(i + 1).reduce((a, b) => a * b, 1));
        let offset = 0;
        const outShape: number[] = [];
        const strides: number[] = [];
        sh.forEach((d, i) => {
          const kind = kinds[i]!;
          if (kind === 1) { offset += (d - 1) * cont[i]!; outShape.push(d); strides.push(-cont[i]!); }
          else if (kind === 2) { outShape.push(3); strides.push(0); }
          else if (kind === 3 && d > 1) { offset += cont[i]!; outShape.push(d - 1); strides.push(cont[i]!); }
          else { outShape.push(d); strides.push(cont[i]!); }
        });
        const perm = outShape.map((_, i) => i).reverse();
        const args = { outShape: perm.map((p) => outShape[p]!), strides: perm.map((p) => strides[p]!), offset };
        const size = sh.reduce((a, b) => a * b, 1);
        const x = host(s, size);
        check(be().strided(x, args), cpu.strided(x, args), EXACT, `strided ${JSON.stringify(args)}`);
        const src = host(s + 1, args.outShape.reduce((a, b) => a * b, 1));
        check(be().stridedScatterAdd(src, size, args), cpu.stridedScatterAdd(src, size, args), sumOf(3), 'stridedScatterAdd');
      }), params);
    });

    it('concat: the bytes of the scatter-add sum it replaced (-0 as +0, NaN kept)', () => {
      const arb = fc.record({ outer: dim(7), inner: dim(6), lens: fc.array(dim(5), { minLength: 1, maxLength: 4 }) });
      fc.assert(fc.property(arb, seed, ({ outer, inner, lens }, s) => {
        const pieces = lens.map((len, i) => {
          const x = host(s + i, outer * len * inner);
          // signed zeros and a NaN among the values
          x.data[(s + i) % x.size] = -0;
          if (i === 0 && x.size > 1) x.data[x.size - 1] = NaN;
          return x;
        });
        const total = lens.reduce((a, b) => a + b, 0);
        const size = outer * total * inner;
        // the old cat: each piece scattered into zeros of the output's size, the results summed
        let want: Storage | null = null;
        let at = 0;
        for (const [i, x] of pieces.entries()) {
          const args = { outShape: [outer, lens[i]!, inner], strides: [total * inner, inner, 1], offset: at * inner };
          const placed = cpu.stridedScatterAdd(x, size, args);
          want = want ? cpu.binary('add', want, [size], placed, [size], [size]) : placed;
          at += lens[i]!;
        }
        const rows = lens.map((len) => len * inner);
        const what = `concat ${JSON.stringify({ outer, inner, lens })}`;
        const signs = (st: Storage): number[] => Array.from(st.read(), (v) => (Object.is(v, -0) ? -1 : 0));
        const cpuOut = cpu.concat(pieces, outer, rows);
        expect(signs(cpuOut), what).toEqual(signs(want!));
        check(cpuOut, want!, EXACT, `cpu ${what}`);
        const got = be().concat(pieces, outer, rows);
        expect(signs(got), what).toEqual(signs(want!));
        check(got, want!, EXACT, what);
      }), params);
    });

    it('indexSelect/indexAdd and take/takeAdd', () => {
      fc.assert(fc.property(dim(5), dim(7), dim(6), fc.array(fc.nat(), { minLength: 1, maxLength: 9 }), seed, (outer, dimSize, inner, raw, s) => {
        const idx = Int32Array.from(raw.map((v) => v % dimSize));
        const x = host(s, outer * dimSize * inner);
        check(be().indexSelect(x, outer, dimSize, inner, idx), cpu.indexSelect(x, outer, dimSize, inner, idx), EXACT, 'indexSelect');
        const src = host(s + 1, outer * idx.length * inner);
        check(be().indexAdd(src, outer, dimSize, inner, idx), cpu.indexAdd(src, outer, dimSize, inner, idx), sumOf(idx.length), 'indexAdd');
        const flat = Int32Array.from(raw.map((v) => v % x.size));
        check(be().take(x, flat), cpu.take(x, flat), EXACT, 'take');
        const tsrc = host(s + 2, flat.length);
        check(be().takeAdd(tsrc, x.size, flat), cpu.takeAdd(tsrc, x.size, flat), sumOf(flat.length), 'takeAdd');
      }), params);
    });

    it('fill, cast, upload round trip', () => {
      fc.assert(fc.property(dim(30), fc.double({ min: -5, max: 5, noNaN: true }), seed, (n, v, s) => {
        check(be().fill('float32', n, v), cpu.fill('float32', n, v), EXACT, 'fill');
        const x = host(s, n);
        const up = be().upload(x);
        expect(Array.from(up.read())).toEqual(Array.from(x.read()));
        const c64 = be().cast(up, 'float64');
        expect(c64.dtype).toBe('float64');
        expect(Array.from(c64.read())).toEqual(Array.from(x.read()));
      }), params);
    });
  });
}
