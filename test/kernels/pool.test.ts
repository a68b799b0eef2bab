// The float32 array pool (kernels/pool.ts) on gpujs-webasm, with ordinary arrays and with the SIMD
// engine's shared memory as the arena (simd/heap.ts): a disposed kernel output's array (or block)
// serves the next output of its length, but never one whose values left through Tensor.data or
// that another storage shares, and a reused array gives the values a fresh one would.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { add, cat, conv2d, mul, setBackend, tensor, tidy, type Tensor } from '../../core/index.js';
import { clearPool, cpuBackend, getBackend, HostStorage, poolStats, type Storage } from '../../kernels/index.js';
import { setArrayArena } from '../../kernels/pool.js';
import { getEngine, simdArena, simdTensorsShared } from '../../kernels/simd/gemm.js';

const N = 4096;
const ramp = (n: number, s: number): Tensor => tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.1 + s)), { dtype: 'float32' });

afterEach(() => {
  setBackend('cpu');
  clearPool();
});

setBackend('gpujs-webasm');
const arenaShared = simdTensorsShared();
afterAll(() => setArrayArena(arenaShared ? simdArena() : null));

/** The array behind a storage, read as the kernels read it (not through Tensor.data). */
const arrayOf = (s: Storage): Float32Array => s.read() as Float32Array;

const modes = arenaShared ? (['arrays', 'arena'] as const) : (['arrays'] as const);
if (!arenaShared) console.log('pool.test: the SIMD memory is not shared here (no threads), so the arena half is skipped');

describe.each(modes)('float32 array pool, %s', (mode) => {
  /** gpujs-webasm with an empty pool and this mode's arena, and two inputs of N values. */
  function fresh(): [Tensor, Tensor] {
    setBackend('gpujs-webasm');
    setArrayArena(mode === 'arena' ? simdArena() : null);
    clearPool();
    return [ramp(N, 1), ramp(N, 2)];
  }
  /** The same array, or (arena) the same block: a reused block comes back as a new view. */
  const where = (a: Float32Array): Float32Array | number | null => (mode === 'arena' ? getEngine().addressOf(a) : a);

  it('a disposed output array serves the next output of the same length', () => {
    const [a, b] = fresh();
    let first: Float32Array | number | null = null;
    tidy(() => {
      first = where(arrayOf(add(a, b).storage));
      expect(first).not.toBeNull();
    });
    const before = poolStats().reused;
    const again = tidy(() => {
      const y = mul(a, b);
      expect(where(arrayOf(y.storage))).toBe(first);
      return Array.from(y.data);
    });
    expect(poolStats().reused).toBe(before + 1);
    // the reused array holds the new values, not the old ones
    const want = Array.from(a.data, (v, i) => Math.fround(v * b.data[i]!));
    expect(again).toEqual(want);
  });

  it('never recycles an array handed out through Tensor.data', () => {
    const [a, b] = fresh();
    const held = tidy(() => add(a, b).data);
    const copy = Float32Array.from(held);
    tidy(() => {
      const y = mul(a, b);
      expect(where(arrayOf(y.storage))).not.toBe(where(held as Float32Array));
      return null;
    });
    expect(held).toEqual(copy);
  });

  it('never recycles an array another storage shares (a cpu-backend wrap)', () => {
    const [a, b] = fresh();
    let shared: Storage | null = null;
    tidy(() => {
      shared = cpuBackend().upload(add(a, b).storage);
    });
    const values = Float32Array.from(arrayOf(shared!));
    tidy(() => void mul(a, b).storage);
    expect(arrayOf(shared!)).toEqual(values);
  });

  it('reused arrays give the bytes of fresh ones (zero-filled where a kernel accumulates)', () => {
    fresh();
    const run = (): number[] =>
      tidy(() => {
        const x = ramp(2 * 3 * 32 * 32, 3).reshape([2, 3, 32, 32]);
        const w = ramp(8 * 3 * 9, 4).reshape([8, 3, 3, 3]);
        const y = conv2d(x, w, null, { padding: 1 });
        return Array.from(cat([y, y.mul(2)], 1).sum([2, 3]).data);
      });
    clearPool();
    const clean = run();
    // fill the pool with arrays of garbage of the lengths the run takes
    tidy(() => {
      for (const n of [2 * 8 * 32 * 32, 2 * 16 * 32 * 32, 2 * 3 * 32 * 32]) getBackend().upload(new HostStorage(new Float32Array(n).fill(7)));
      for (let i = 0; i < 3; i++) void ramp(2 * 8 * 32 * 32, i).mul(3).storage;
      return null;
    });
    if (mode === 'arrays') expect(poolStats().pooled_bytes).toBeGreaterThan(0);
    const reused = poolStats().reused;
    expect(run()).toEqual(clean);
    expect(poolStats().reused).toBeGreaterThan(reused);
  });
});

// the cap of the ordinary-array pool (the arena has its own, BAS_HEAP_MB)
describe('float32 array pool cap', () => {
  it('BAS_POOL_MB=0 turns recycling off; a bad value is one clear error', () => {
    setBackend('gpujs-webasm');
    setArrayArena(null);
    // the Node platform reads process.env when asked
    const set = (v: string): void => {
      process.env['BAS_POOL_MB'] = v;
      clearPool();
    };
    try {
      set('0');
      tidy(() => void ramp(N, 1).mul(2).storage);
      expect(poolStats().pooled_bytes).toBe(0);
      set('lots');
      expect(() => tidy(() => void ramp(N, 1).mul(2).storage)).toThrow(/BAS_POOL_MB must be a number of MiB >= 0, got "lots"/);
    } finally {
      delete process.env['BAS_POOL_MB'];
      clearPool();
    }
  });
});
