// The SIMD engine's memory as an allocator (kernels/simd/heap.ts), and the kernels that read and
// write tensors where they lie in it: every in-place product, map and softmax must give the bytes
// the copying path gives for the same values in ordinary arrays, at sizes that are and are not
// multiples of the 4 x 8 tile (those fall back to copies for the padded side).
import { beforeAll, describe, expect, it } from 'vitest';
import { WasmHeap } from '../../kernels/simd/heap.js';
import { finishJob, getEngine, sgemm, simdArena, simdTensorsShared, simdThreadsReady } from '../../kernels/simd/gemm.js';
import { CTRL, IDLE, KIND, POSTED, RUNNING } from '../../kernels/simd/worker_source.js';
import { Worker } from 'node:worker_threads';
import { setArrayArena } from '../../kernels/pool.js';
import { simdAddBias, simdBinary } from '../../kernels/simd/binary.js';
import { addBias } from '../../kernels/cpu/matmul.js';
import { binaryF32 } from '../../kernels/cpu/binary_f32.js';
import type { BinaryOp } from '../../kernels/backend.js';
import { simdGroupNormBackward, simdLayerNormBackward, simdNorm } from '../../kernels/simd/norm.js';
import { simdStrided } from '../../kernels/simd/strided.js';
import { groupNorm, groupNormBackward, layerNorm, layerNormBackward } from '../../kernels/cpu/norm.js';
import { strided, stridedScatterAdd } from '../../kernels/cpu/gather.js';
import { stridesOf } from '../../kernels/shape.js';
import { sgemmConv2d, sgemmConv2dBackwardFilter, sgemmConv2dBackwardInput } from '../../kernels/simd/conv.js';
import { conv2d as cpuConv2d } from '../../kernels/cpu/conv2d.js';
import { simdReduce } from '../../kernels/simd/reduce.js';
import { simdAdamW } from '../../kernels/simd/adamw.js';
import { adamwRows, padPlanes, transposePlanes, unpadPlanes } from '../../kernels/cpu/rows.js';
import { padPlanesWasm, transposePlanesWasm, unpadPlanesWasm } from '../../kernels/simd/plane_copies.js';
import { reduce } from '../../kernels/cpu/reduce.js';
import { simdUnary, simdUnaryGrad } from '../../kernels/simd/map.js';
import { simdSoftmax, simdSoftmaxBackward } from '../../kernels/simd/softmax.js';
import { PAGE } from '../../kernels/simd/gemm_module.js';
import type { Conv2dArgs, MatmulArgs } from '../../kernels/backend.js';

/** Values that differ everywhere, so a misplaced read shows. */
const values = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 2);

describe('WasmHeap', () => {
  const make = (cap: number): WasmHeap => new WasmHeap(new WebAssembly.Memory({ initial: 1, maximum: 512, shared: true } as WebAssembly.MemoryDescriptor), 1024, 512 * PAGE, cap);

  it('reuses a freed block for the next tensor of its size, and never a live one', () => {
    const h = make(8 << 20);
    const a = h.tensor(3000)!;
    const b = h.tensor(3000)!;
    expect(a.reused).toBe(false);
    expect(h.addressOf(a.array)).not.toBe(h.addressOf(b.array));
    const at = h.addressOf(a.array);
    expect(h.freeTensor(a.array)).toBe(true);
    expect(h.freeTensor(a.array)).toBe(false);
    const c = h.tensor(3000)!;
    expect(c.reused).toBe(true);
    expect(h.addressOf(c.array)).toBe(at);
    // a subarray is not a tensor of the heap: it is read through copies, never freed
    expect(h.addressOf(b.array.subarray(4))).toBeNull();
    expect(h.freeTensor(new Float32Array(3000))).toBe(false);
  });

  it('keeps every view valid while the memory grows under it (a shared memory never moves)', () => {
    const h = make(16 << 20);
    const a = h.tensor(5000)!.array;
    a.set(values(5000, 1));
    // scratch and more tensors force the memory to grow several times
    for (let i = 0; i < 6; i++) h.scratch(PAGE * 4 * (i + 1));
    const b = h.tensor(400000)!.array;
    b.fill(3);
    expect(a).toEqual(values(5000, 1));
    expect(h.memory.buffer.byteLength).toBeGreaterThan(400000 * 4);
  });

  it('refuses tensors past its cap, or all of them on a memory that is not shared', () => {
    const h = make(64 << 10);
    expect(h.tensor(8000)).not.toBeNull();
    expect(h.tensor(16000)).toBeNull();
    const plain = new WasmHeap(new WebAssembly.Memory({ initial: 1, maximum: 64 }), 1024, 64 * PAGE, 0);
    expect(plain.tensor(10)).toBeNull();
    expect(plain.scratch(100)).toBeGreaterThanOrEqual(1024);
  });
});

const shared = simdTensorsShared();
if (!shared) console.log('heap.test: the SIMD engine memory is not shared here (no threads): the in-place kernel cases are skipped');

describe.runIf(shared)('kernels on tensors in the engine memory', () => {
  // the worker starts asynchronously: wait for it, so that the shared rows jobs really are shared
  beforeAll(async () => {
    // outputs come from the engine memory too, as under the gpujs-webasm backend
    setArrayArena(simdArena());
    for (let i = 0; i < 200 && !simdThreadsReady(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(simdThreadsReady()).toBe(true);
  });
  const heap = getEngine().heapAlloc;
  /** The same values in an engine-memory array. */
  const inHeap = (a: Float32Array): Float32Array => {
    const t = heap.tensor(a.length)!.array;
    t.set(a);
    return t;
  };

  const cases: [string, MatmulArgs][] = [
    ['aligned 16x32x24', { batch: 1, m: 16, k: 32, n: 24, transA: false, transB: false, strideA: 0, strideB: 0 }],
    ['batched, m and n off the tile', { batch: 3, m: 13, k: 20, n: 19, transA: false, transB: false, strideA: 13 * 20, strideB: 20 * 19 }],
    ['A transposed, shared B', { batch: 2, m: 12, k: 33, n: 16, transA: true, transB: false, strideA: 33 * 12, strideB: 0 }],
    ['B transposed (packed), alpha', { batch: 2, m: 8, k: 16, n: 40, transA: false, transB: true, strideA: 8 * 16, strideB: 40 * 16, alpha: 0.25 }],
    ['k in blocks', { batch: 1, m: 64, k: 1100, n: 32, transA: false, transB: false, strideA: 0, strideB: 0 }],
    ['padded B rows (n = 128)', { batch: 1, m: 8, k: 40, n: 128, transA: false, transB: false, strideA: 0, strideB: 0 }],
    ['size 1', { batch: 1, m: 1, k: 1, n: 1, transA: false, transB: false, strideA: 0, strideB: 0 }],
  ];
  it.each(cases)('sgemm %s: in place = copied, to the bit', (_, args) => {
    const aLen = (args.strideA === 0 ? 1 : args.batch) * args.m * args.k;
    const bLen = (args.strideB === 0 ? 1 : args.batch) * args.k * args.n;
    // long enough for the arena (tiny operands are ordinary arrays either way)
    const a = values(Math.max(aLen, 1024), 1);
    const b = values(Math.max(bLen, 1024), 2);
    const copied = sgemm(a, b, args, new Float32Array(args.batch * args.m * args.n));
    const out = inHeap(new Float32Array(Math.max(args.batch * args.m * args.n, 1024)).fill(NaN));
    const placed = sgemm(inHeap(a), inHeap(b), args, out);
    expect(placed.subarray(0, copied.length)).toEqual(copied);
  });

  it.each([[4096], [1027], [5], [200003]])('gelu and its gradient over %i values: in place = copied (both threads from 64K values)', (n) => {
    const x = values(Math.max(n, 1024), 3).subarray(0, n).slice();
    const g = values(x.length, 4);
    expect(simdUnary('gelu', inHeap(x))).toEqual(simdUnary('gelu', x));
    expect(simdUnaryGrad('silu', inHeap(x), inHeap(g))).toEqual(simdUnaryGrad('silu', x, g));
  });

  const shapes: [BinaryOp, number[], number[], number[]][] = [
    ['add', [4, 64, 32, 32], [4, 64, 32, 32], [4, 64, 32, 32]],
    ['mul', [4, 64, 32, 32], [1, 64, 1, 1], [4, 64, 32, 32]],
    ['sub', [1, 64, 1, 1], [4, 64, 32, 32], [4, 64, 32, 32]],
    ['div', [2, 16384, 4], [2, 16384, 1], [2, 16384, 4]],
    ['add', [300, 1, 257], [1, 7, 257], [300, 7, 257]],
    ['mul', [1, 65536], [1, 1], [1, 65536]],
  ];
  it.each(shapes)('%s %j with %j on both threads = the cpu loops, to the bit', (op, aShape, bShape, outShape) => {
    const size = outShape.reduce((x, y) => x * y, 1);
    const a = values(aShape.reduce((x, y) => x * y, 1), 7);
    const b = values(bShape.reduce((x, y) => x * y, 1), 8).map((v) => v + 3);
    const want = new Float32Array(size);
    expect(binaryF32(op, a, aShape, b, bShape, outShape, want)).toBe(true);
    // operands under the arena's minimum length are ordinary arrays: then the path declines
    const ha = a.length >= 1024 ? inHeap(a) : a;
    const hb = b.length >= 1024 ? inHeap(b) : b;
    // a small operand in an ordinary array is copied into scratch
    expect(simdBinary(op, ha, aShape, hb, bShape, outShape, size)).toEqual(want);
    // a large one declines the path
    if (a.length > 4096) expect(simdBinary(op, a, aShape, hb, bShape, outShape, size)).toBeNull();
  });

  it.each([[64, 256], [33, 24], [40, 77], [1024, 256]])('softmax and its backward, %i rows x %i: in place = copied', (rows, cols) => {
    const x = values(rows * cols, 5);
    const dy = values(rows * cols, 6);
    const y = simdSoftmax(x, rows, cols);
    expect(simdSoftmax(inHeap(x), rows, cols)).toEqual(y);
    expect(simdSoftmaxBackward(inHeap(y), inHeap(dy), rows, cols)).toEqual(simdSoftmaxBackward(y, dy, rows, cols));
  });

  it('group norm forward and backward on both threads = the cpu kernels, to the bit', () => {
    const [n, c, spatial, groups] = [4, 64, 1024, 32];
    const x = values(n * c * spatial, 9);
    const w = values(c, 10);
    const b = values(c, 11);
    const dy = values(n * c * spatial, 12);
    const args = { n, c, spatial, groups, eps: 1e-5 };
    const want = groupNorm(x, w, b, args, 'float32');
    const got = simdNorm(inHeap(x), w, b, { rows: n * groups, cols: (c / groups) * spatial, groups, spatial, eps: 1e-5 })!;
    expect(got.y).toEqual(want.y);
    expect(got.mean).toEqual(want.mean);
    expect(got.rstd).toEqual(want.rstd);
    const gw = groupNormBackward(dy, x, want.mean, want.rstd, w, args, true, true, 'float32');
    const gg = simdGroupNormBackward(inHeap(dy), inHeap(x), got.mean, got.rstd, w, { rows: n * groups, cols: (c / groups) * spatial, groups, spatial, eps: 1e-5 }, c, true, true)!;
    expect(gg.dx).toEqual(gw.dx);
    expect(Float32Array.from(gg.dw!)).toEqual(gw.dweight);
    expect(Float32Array.from(gg.db!)).toEqual(gw.dbias);
  });

  it('layer norm forward and backward (no affine, and affine) on both threads = the cpu kernel, to the bit', () => {
    const [rows, cols] = [2048, 64];
    const x = values(rows * cols, 13);
    const w = values(cols, 14);
    const b = values(cols, 15);
    const dy = values(rows * cols, 22);
    for (const [ww, bb] of [[null, null], [w, b]] as const) {
      const want = layerNorm(x, ww, bb, { rows, cols, eps: 1e-5 }, 'float32');
      const got = simdNorm(inHeap(x), ww, bb, { rows, cols, groups: 1, spatial: 1, eps: 1e-5 })!;
      expect(got.y).toEqual(want.y);
      expect(got.rstd).toEqual(want.rstd);
      const gw = layerNormBackward(dy, x, want.mean, want.rstd, ww, { rows, cols, eps: 1e-5 }, true, true, 'float32');
      const gg = simdLayerNormBackward(inHeap(dy), inHeap(x), got.mean, got.rstd, ww, rows, cols, true, true)!;
      expect(gg.dx).toEqual(gw.dx);
      expect(Float32Array.from(gg.dw!)).toEqual(gw.dweight);
      expect(Float32Array.from(gg.db!)).toEqual(gw.dbias);
    }
  });

  it('strided copies (permutes, a slice) and the scatter-add on both threads = the cpu loops', () => {
    const shape = [4, 1024, 8, 8];
    const x = values(shape.reduce((p, q) => p * q, 1), 16);
    const st = stridesOf(shape);
    const views = [
      // (b, l, h, d) -> (b, h, l, d), as head_to_batch_dim
      { outShape: [4, 8, 1024, 8], strides: [st[0]!, st[2]!, st[1]!, st[3]!], offset: 0 },
      // the last dim to the front
      { outShape: [8, 4, 1024, 8], strides: [st[3]!, st[0]!, st[1]!, st[2]!], offset: 0 },
      // a slice of the second dim
      { outShape: [4, 512, 8, 8], strides: st, offset: 256 * st[1]! },
    ];
    for (const v of views) {
      const want = strided(x, v, 'float32');
      expect(simdStrided(inHeap(x), v, false, 0)).toEqual(want);
      const back = stridedScatterAdd(want, x.length, v, 'float32');
      expect(simdStrided(inHeap(want as Float32Array), v, true, x.length)).toEqual(back);
    }
    // an expand (stride 0) would add several rows into one place: that stays on one thread
    expect(simdStrided(inHeap(x), { outShape: [2, 4, 1024, 64], strides: [0, ...stridesOf([4, 1024, 64])], offset: 0 }, true, x.length)).toBeNull();
  });

  const convs: [string, Conv2dArgs][] = [
    ['32x32, 32 -> 24 channels', { n: 4, c: 32, h: 32, w: 32, o: 24, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, outH: 32, outW: 32 }],
    ['9x13 (a width that is not a multiple of 4), 5 -> 6 channels', { n: 3, c: 5, h: 9, w: 13, o: 6, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, outH: 9, outW: 13 }],
  ];
  it.each(convs)('a 3x3 convolution (%s), its bias and both backward products: images in the engine memory (copies on both threads) = in ordinary arrays', (_, a) => {
    const x = values(a.n * a.c * a.h * a.w, 17);
    const w = values(a.o * a.c * 9, 18);
    const bias = values(a.o, 19);
    const dy = values(a.n * a.o * a.outH * a.outW, 20);
    const y = sgemmConv2d(x, w, a, bias);
    expect(sgemmConv2d(inHeap(x), w, a, bias)).toEqual(y);
    expect(sgemmConv2dBackwardInput(inHeap(dy), w, a)).toEqual(sgemmConv2dBackwardInput(dy, w, a));
    expect(sgemmConv2dBackwardFilter(inHeap(x), inHeap(dy), a)).toEqual(sgemmConv2dBackwardFilter(x, dy, a));
    // and the cpu backend's convolution plus the bias, within float32 rounding of a 288-term sum
    const ref = cpuConv2d(x, w, a, 'float32');
    const plane = a.outH * a.outW;
    let worst = 0;
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i]! - ref[i]! - bias[Math.floor(i / plane) % a.o]!));
    expect(worst).toBeLessThan(1e-4);
  });

  it('the copy kernels (pad, unpad with and without bias, transpose) = the cpu loops, to the bit, at widths that are not multiples of 4', () => {
    const e = getEngine();
    for (const [n, c, h, w, p] of [[3, 5, 9, 13, 1], [2, 3, 6, 7, 2], [1, 9, 4, 8, 0], [2, 2, 3, 1, 1]] as const) {
      const hp = h + 2 * p;
      const wp = w + 2 * p;
      const planes = n * c;
      const x = values(planes * h * w, 40 + w);
      x[1] = -0;
      const src = inHeap(x);
      const s = e.addressOf(src)! >>> 2;
      // each kernel writes into a block filled with garbage first, and the loop into a copy of that block
      const size = planes * hp * wp + 64;
      const L = h * wp;
      const dimg = Math.ceil(c / 8) * 8 * L;
      const at = e.scratch(Math.max(2 * size, n * dimg) * 4) >>> 2;
      const f = e.heap();
      const garbage = values(size, 7);
      f.set(garbage, at);
      f.set(garbage, at + size);
      padPlanes(src, 0, f, at, h, w, p, p, 0, planes);
      padPlanesWasm(e.copies, s, at + size, h, w, p, p, 0, planes);
      expect(f.slice(at + size, at + 2 * size)).toEqual(f.slice(at, at + size));
      // unpad: the padded planes read as a convolution's C (rows wp apart), h x w of each copied out
      const cout = c;
      const img = cout * hp * wp;
      for (const withBias of [false, true]) {
        const outs = inHeap(new Float32Array(planes * h * w).fill(3));
        const want = new Float32Array(planes * h * w).fill(3);
        const bias = withBias ? at + planes * hp * wp : -1;
        if (withBias) f[bias + 1] = -0;
        unpadPlanes(f, at, img, hp * wp, wp, h, w, cout, bias, want, 0, 0, planes);
        unpadPlanesWasm(e.copies, at, img, hp * wp, wp, h, w, cout, bias, e.addressOf(outs)! >>> 2, 0, planes);
        expect(outs).toEqual(want);
      }
      // transpose: dy planes (h x w) into 8-column panels over positions h x wp
      f.set(values(n * dimg, 8), at);
      const wantT = f.slice(at, at + n * dimg);
      transposePlanes(src, 0, wantT, 0, dimg, cout, h, w, wp, 0, planes);
      transposePlanesWasm(e.copies, s, at, dimg, cout, h, w, wp, 0, planes);
      expect(f.slice(at, at + n * dimg)).toEqual(wantT);
    }
  });

  const sums: [number[], number[]][] = [
    [[16384, 64], [0]],
    [[16, 64, 32, 32], [0, 2, 3]],
    [[64, 1024], [1]],
    [[8, 3, 5, 1024], [1, 3]],
    [[4096, 200], [0]],
  ];
  it.each(sums)('sum of %j over %j on both threads = the cpu loop, to the bit', (shape, axes) => {
    const x = values(shape.reduce((p, q) => p * q, 1), 21);
    expect(simdReduce('sum', inHeap(x), shape, axes)).toEqual(reduce('sum', x, shape, axes, 'float32'));
  });

  it('a bias added in place on both threads = cpu addBias, to the bit', () => {
    const bias = values(64, 23);
    for (const inner of [1, 256]) {
      const y = values(64 * 256 * 8, 24);
      const want = addBias(Float32Array.from(y), bias, inner);
      const h = inHeap(y);
      expect(simdAddBias(h, bias, inner)).toBe(true);
      expect(h).toEqual(want);
    }
    expect(simdAddBias(values(64 * 2048, 25), bias, 1)).toBe(false);
  });

  it('tensors past 2 GiB (addresses past 2^31) give the same bits as copies', () => {
    // an untouched block lifts everything after it past 2^31 (its pages are never written, so never resident)
    const lift = heap.tensor((2 ** 31 + (64 << 20)) / 4)!.array;
    try {
      const x = inHeap(values(1 << 17, 26));
      const y = inHeap(values(1 << 17, 27));
      expect(getEngine().addressOf(x)!).toBeGreaterThan(2 ** 31);
      const args = { batch: 1, m: 256, k: 512, n: 256, transA: false, transB: false, strideA: 0, strideB: 0 };
      const plain = [Float32Array.from(x), Float32Array.from(y)] as const;
      const out = inHeap(new Float32Array(256 * 256));
      expect(sgemm(x, y, args, out)).toEqual(sgemm(plain[0], plain[1], args, new Float32Array(256 * 256)));
      expect(simdSoftmax(x, 512, 256)).toEqual(simdSoftmax(plain[0], 512, 256));
      expect(simdUnary('gelu', x)).toEqual(simdUnary('gelu', plain[0]));
      const shape = [512, 256];
      const want = new Float32Array(1 << 17);
      binaryF32('mul', plain[0], shape, plain[1], shape, shape, want);
      expect(simdBinary('mul', x, shape, y, shape, shape, 1 << 17)).toEqual(want);
    } finally {
      heap.freeTensor(lift);
    }
  });

  it('an AdamW update on both threads = the loop on one, to the bit', () => {
    const n = 100003;
    const [x, g, m, v] = [values(n, 28), values(n, 29), values(n, 30).map((t) => t * 0.01), values(n, 31).map((t) => t * t * 1e-4)];
    const h = { b1: 0.9, b2: 0.999, stepSize: 1e-3 / (1 - 0.9 ** 3), decay: 1 - 1e-3 * 1e-2, bc2: Math.sqrt(1 - 0.999 ** 3), eps: 1e-8 };
    const [wm, wv, wo] = [Float32Array.from(m), Float32Array.from(v), new Float32Array(n)];
    adamwRows(x, 0, g, 0, wm, 0, wv, 0, wo, 0, h.b1, h.b2, h.stepSize, h.decay, h.bc2, h.eps, 0, n);
    const [hm, hv, ho] = [inHeap(m), inHeap(v), inHeap(new Float32Array(n))];
    expect(simdAdamW(inHeap(x), inHeap(g), hm, hv, ho, h)).toBe(true);
    expect(ho).toEqual(wo);
    expect(hm).toEqual(wm);
    expect(hv).toEqual(wv);
  });

  it('a worker that dies mid-job (never ends its unit) is given up after the waits: an error, not a hang', async () => {
    const ctrl = (): Int32Array => new Int32Array(new SharedArrayBuffer(CTRL.size * 4));
    // taken up and never finished, as a killed worker leaves it
    const dead = ctrl();
    dead[CTRL.ready] = 1;
    dead[CTRL.state] = RUNNING;
    const t0 = performance.now();
    expect(() => finishJob(dead, 5, 4)).toThrow(/did not end in 4 waits of 5 ms, so it is taken for dead/);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(15);
    expect(dead[CTRL.ready]).toBe(0);
    // posted and never taken up: withdrawn at once
    const untaken = ctrl();
    untaken[CTRL.state] = POSTED;
    finishJob(untaken, 5, 1);
    expect(untaken[CTRL.state]).toBe(IDLE);
    // a live worker that ends its unit after a few slices is waited for
    const live = ctrl();
    live[CTRL.ready] = 1;
    live[CTRL.state] = RUNNING;
    const w = new Worker(`const { workerData } = require('node:worker_threads'); const c = new Int32Array(workerData);
      Atomics.wait(c, ${CTRL.seq}, 0, 40); Atomics.store(c, ${CTRL.state}, ${IDLE}); Atomics.notify(c, ${CTRL.state});`, { eval: true, workerData: live.buffer });
    finishJob(live, 10, 50);
    expect(live[CTRL.state]).toBe(IDLE);
    expect(live[CTRL.ready]).toBe(1);
    await w.terminate();
  });

  it('a rows job that throws on the worker is an error on the main thread, not wrong values or a hang', () => {
    const e = getEngine();
    // this thread's units are slow, so the worker surely claims some of the 16; kind 99 does not exist there
    const slow = (): void => {
      const until = performance.now() + 2;
      while (performance.now() < until);
    };
    expect(() => e.runRows(99, [], 64, 1 << 20, slow)).toThrow(/SIMD rows job of kind 99: the worker failed/);
    // arguments stop short of the failure flag: one more would overwrite it
    expect(() => e.runRows(KIND.sum, new Array<number>(CTRL.failed - CTRL.xargs + 1).fill(0), 64, 1 << 20, slow)).toThrow(/41 arguments, at most 40/);
    // and the engine goes on working
    const x = values(1 << 17, 32);
    expect(simdSoftmax(inHeap(x), 512, 256)).toEqual(simdSoftmax(x, 512, 256));
  });
});
