// The cpu reference's fast paths against exact arithmetic: the blocked, register-tiled GEMM (and
// its two-thread split) must agree with a float64 triple loop to float32 accumulation error; the
// float64 path must be exact to float64 rounding. Also the registry's naming contract.
import fc from 'fast-check';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { backendFor, cpuBackend, getBackend, HostStorage, registeredBackends, setBackend, type MatmulArgs } from '../../kernels/index.js';
import { matmul } from '../../kernels/cpu/matmul.js';
import { cpuThreadsReady, warmCpuThreads } from '../../kernels/cpu/threads.js';
import { sgemm, simdThreadsReady, warmSimd } from '../../kernels/simd/gemm.js';
import { getPlatform } from '../../platform/platform.js';
import { dim, seed, values } from './gen.js';

function exact(a: ArrayLike<number>, b: ArrayLike<number>, g: MatmulArgs): Float64Array {
  const { batch, m, k, n, transA, transB, strideA, strideB } = g;
  const out = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[t * strideA + (transA ? p * m + i : i * k + p)]! * b[t * strideB + (transB ? j * k + p : p * n + j)]!;
        out[t * m * n + i * n + j] = s;
      }
  return out;
}

const argsArb = (maxDim: number): fc.Arbitrary<MatmulArgs> =>
  fc.record({ batch: fc.integer({ min: 1, max: 3 }), m: dim(maxDim), k: dim(maxDim), n: dim(maxDim), transA: fc.boolean(), transB: fc.boolean(), shareA: fc.boolean(), shareB: fc.boolean() })
    .map((g) => ({ batch: g.batch, m: g.m, k: g.k, n: g.n, transA: g.transA, transB: g.transB, strideA: g.shareA ? 0 : g.m * g.k, strideB: g.shareB ? 0 : g.k * g.n }));

function within(got: ArrayLike<number>, want: Float64Array, atol: number): void {
  for (let i = 0; i < want.length; i++) if (!(Math.abs(got[i]! - want[i]!) <= atol)) throw new Error(`at ${i}: ${got[i]} vs ${want[i]} (atol ${atol})`);
}

describe('cpu matmul', () => {
  it('float32 blocked GEMM matches exact arithmetic within 4e-7 * k (values in [-2, 2])', () => {
    fc.assert(fc.property(argsArb(70), seed, (g, s) => {
      const a = values(s, (g.strideA ? g.batch : 1) * g.m * g.k);
      const b = values(s + 1, (g.strideB ? g.batch : 1) * g.k * g.n);
      within(matmul(a, b, g, 'float32'), exact(a, b, g), 4e-7 * 4 * Math.max(1, g.k));
    }), { numRuns: 60 });
  });

  it('float64 is exact to float64 rounding', () => {
    fc.assert(fc.property(argsArb(30), seed, (g, s) => {
      const a = Float64Array.from(values(s, (g.strideA ? g.batch : 1) * g.m * g.k), (v) => v + 1e-9);
      const b = Float64Array.from(values(s + 1, (g.strideB ? g.batch : 1) * g.k * g.n));
      within(matmul(a, b, g, 'float64'), exact(a, b, g), 1e-13 * Math.max(1, g.k));
    }), { numRuns: 40 });
  });

  it('products big enough for the two-thread split, single and batched', async () => {
    // the workers must really start (eval workers, no build step), or this would test nothing
    warmCpuThreads();
    warmSimd();
    // no second-core worker where the platform says there is no second core, or BAS_THREADS is 0 or 1
    const threads = !['0', '1'].includes(process.env['BAS_THREADS'] ?? '') && getPlatform().hardwareConcurrency >= 2;
    for (let i = 0; i < 100 && threads && !(cpuThreadsReady() && simdThreadsReady()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(cpuThreadsReady()).toBe(threads);
    expect(simdThreadsReady()).toBe(threads);
    for (const g of [
      // past both split thresholds (cpu 1M, SIMD 2M multiply-adds)
      { batch: 1, m: 161, k: 97, n: 141, transA: false, transB: true, strideA: 161 * 97, strideB: 97 * 141 },
      { batch: 3, m: 67, k: 129, n: 97, transA: true, transB: false, strideA: 67 * 129, strideB: 0 },
    ]) {
      const a = values(11, g.batch * g.m * g.k);
      const b = values(12, g.batch * g.k * g.n);
      within(matmul(a, b, g, 'float32'), exact(a, b, g), 1.6e-6 * g.k);
      within(sgemm(a, b, g), exact(a, b, g), 1.6e-6 * g.k);
    }
  });

  it('thousands of split products back to back, the other core kept busy: no deadlock, every result right', async () => {
    // products just past the split threshold, with a spinning thread holding the second core, so
    // the helpers wake late: the main thread has often claimed every unit and withdrawn the job,
    // or posted the next one, by then (the interleaving that once hung a UNet step; the old
    // protocol hung here 4 times in 4). A hang blocks the event loop, so the run's own timeout ends it.
    const spinner = new Worker('const end = Date.now() + 20000; while (Date.now() < end) {}', { eval: true });
    try {
      const shapes = [
        { batch: 1, m: 128, k: 64, n: 129, transA: false, transB: false, strideA: 128 * 64, strideB: 64 * 129 },
        { batch: 4, m: 33, k: 65, n: 129, transA: true, transB: true, strideA: 33 * 65, strideB: 0 },
      ];
      const cases = shapes.map((g, i) => {
        const a = values(21 + i, g.batch * g.m * g.k);
        const b = values(31 + i, g.batch * g.k * g.n);
        return { g, a, b, want: exact(a, b, g) };
      });
      for (let i = 0; i < 3000; i++) {
        const { g, a, b, want } = cases[i % 2]!;
        within(matmul(a, b, g, 'float32'), want, 1.6e-6 * g.k);
        within(sgemm(a, b, g), want, 1.6e-6 * g.k);
      }
    } finally {
      await spinner.terminate();
    }
  }, 60_000);
});

describe('registry', () => {
  it('registers the documented names and routes float64 to cpu', () => {
    for (const n of ['cpu', 'gpujs', 'gpujs-webasm', 'gpujs-headlessgl', 'gpujs-webgl2', 'gpujs-webgl', 'gpujs-gpu', 'gpujs-cpu']) expect(registeredBackends()).toContain(n);
    const prev = getBackend().name;
    setBackend('gpujs-webasm');
    expect(getBackend().name).toBe('gpujs-webasm');
    expect(backendFor('float32').name).toBe('gpujs-webasm');
    expect(backendFor('float64')).toBe(cpuBackend());
    setBackend(prev);
    expect(() => setBackend('nope')).toThrow(/unknown backend/);
  });

  it('the gpujs backend delegates kernels it lacks to cpu and returns its own storage', () => {
    const b = setBackend('gpujs-webasm');
    const out = b.takeAdd(new HostStorage(Float32Array.from([1, 2, 3])), 2, Int32Array.from([1, 1, 0]));
    expect(out.backend).toBe('gpujs-webasm');
    expect(Array.from(out.read())).toEqual([3, 3]);
    setBackend('cpu');
  });
});
