// The seeded generator: golden values pin the stream (a change of algorithm, seeding or arithmetic
// on another machine shows up here), then reproducibility, state save/restore, and distribution
// sanity for randn, rand, randint, randperm, shuffle and sample.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { default_generator, Generator, manual_seed, rand, randint, randn, randperm } from '../../core/index.js';

describe('golden stream (xoshiro128** seeded by splitmix32; checked against an independent Python port)', () => {
  it('first uint32s for seeds 0, 42 and 2^32 + 1', () => {
    const first = (seed: number): number[] => {
      const g = new Generator(seed);
      return Array.from({ length: 6 }, () => g.nextUint32());
    };
    expect(first(0)).toEqual([3809008728, 1133695204, 53579671, 2891528803, 139681546, 2203266335]);
    expect(first(42)).toEqual([2837322924, 544945897, 479756282, 3500138142, 339756180, 113173290]);
    // seeds past 32 bits are folded in, not truncated
    expect(first(2 ** 32 + 1)).toEqual([4015709042, 3165395162, 1017639106, 3720433490, 2806502315, 2797859714]);
  });

  it('first uniforms, normals and integers for seed 42', () => {
    const g = new Generator(42);
    // uniforms are pure integer arithmetic: exact
    expect(Array.from({ length: 4 }, () => g.random())).toEqual([0.6606157208001621, 0.1117019639532224, 0.0791056456144914, 0.015209237180418]);
    expect(Array.from(g.manual_seed(42).rand([3], { dtype: 'float64' }).data)).toEqual([0.6606157208001621, 0.1117019639532224, 0.0791056456144914]);
    // float32 uniforms are the same draws truncated to 24 bits
    expect(Array.from(g.manual_seed(42).rand([3], { dtype: 'float32' }).data)).toEqual([0.6606156826019287, 0.11170190572738647, 0.07910561561584473]);
    // normals go through log/cos/sin, which may differ in the last ulp between math libraries
    const want = [0.6953712153418404, 0.5878986391985577, 2.242263762064122, 0.2149308925848208, 0.20491667605004257];
    Array.from(g.manual_seed(42).randn([5], { dtype: 'float64' }).data).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 14));
    expect(Array.from(g.manual_seed(42).randint(0, 10, [8], { dtype: 'float64' }).data)).toEqual([6, 1, 0, 0, 8, 1, 9, 7]);
    expect(g.manual_seed(42).randperm(8)).toEqual([2, 1, 4, 3, 7, 6, 0, 5]);
    expect(g.manual_seed(42).shuffle(['a', 'b', 'c', 'd', 'e'])).toEqual(['b', 'c', 'e', 'a', 'd']);
    expect(g.manual_seed(42).sample([10, 20, 30, 40, 50, 60], 3)).toEqual([40, 20, 30]);
  });
});

describe('reproducibility', () => {
  it('same seed, same stream; different seeds, different streams', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (seed) => {
        const a = new Generator(seed);
        const b = new Generator(seed);
        expect(Array.from(a.randn([20]).data)).toEqual(Array.from(b.randn([20]).data));
        expect(a.randperm(10)).toEqual(b.randperm(10));
        expect(a.sample([1, 2, 3, 4, 5], 3)).toEqual(b.sample([1, 2, 3, 4, 5], 3));
        const c = new Generator(seed + 1);
        expect(Array.from(new Generator(seed).rand([8]).data)).not.toEqual(Array.from(c.rand([8]).data));
      }),
      { numRuns: 25 },
    );
  });

  it('get_state / set_state resume the stream exactly (the Box-Muller spare included)', () => {
    const g = new Generator(5);
    g.normal(); // leaves a spare normal pending
    const st = g.get_state();
    const next = Array.from(g.randn([7], { dtype: 'float64' }).data);
    const h = new Generator(999).set_state(st);
    expect(Array.from(h.randn([7], { dtype: 'float64' }).data)).toEqual(next);
    // the saved state is a copy, not a live view
    expect(g.get_state()).not.toEqual(st);
  });

  it('manual_seed reseeds the default generator used by rand/randn/randint/randperm', () => {
    manual_seed(123);
    const a = [Array.from(rand([3]).data), Array.from(randn([3]).data), Array.from(randint(0, 5, [3]).data), randperm(5)];
    manual_seed(123);
    const b = [Array.from(rand([3]).data), Array.from(randn([3]).data), Array.from(randint(0, 5, [3]).data), randperm(5)];
    expect(a).toEqual(b);
    expect(default_generator.get_state()).not.toEqual(new Generator(123).get_state()); // it advanced
    const g = new Generator(123);
    expect(Array.from(rand([3], { generator: g }).data)).toEqual(a[0]);
  });

  it('float32 rand stays below 1 where the 53-bit draw would round up to 1', () => {
    // a state (found by search from seed 0, draw 4433008) whose next uniform is 1 - 1.5e-8
    const st = { s: [1617064943, 4247991091, 3660704919, 1302795360] as [number, number, number, number], spare: null };
    const u = new Generator().set_state(st).random();
    expect(u).toBeGreaterThan(1 - 2 ** -25);
    expect(Math.fround(u)).toBe(1);
    const r = new Generator().set_state(st).rand([1], { dtype: 'float32' }).item();
    expect(r).toBeLessThan(1);
    expect(r).toBe(1 - 2 ** -24);
  });
});

describe('distribution sanity', () => {
  it('randn over 1e5 draws: mean ~ 0, variance ~ 1, symmetric tails', () => {
    const d = new Generator(2024).randn([100000], { dtype: 'float64' }).data;
    let s = 0;
    let s2 = 0;
    let over2 = 0;
    for (const v of d) {
      s += v;
      s2 += v * v;
      if (Math.abs(v) > 2) over2++;
    }
    const mean = s / d.length;
    const variance = s2 / d.length - mean * mean;
    expect(Math.abs(mean)).toBeLessThan(0.015); // ~5 standard errors
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
    expect(Math.abs(over2 / d.length - 0.0455)).toBeLessThan(0.005);
  });

  it('rand is uniform on [0, 1)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const d = new Generator(7).rand([100000], { dtype }).data;
      let s = 0;
      const bins = new Array<number>(10).fill(0);
      let outside = 0;
      for (const v of d) {
        if (!(v >= 0 && v < 1)) outside++;
        s += v;
        bins[Math.floor(v * 10)]!++;
      }
      expect(outside).toBe(0);
      expect(Math.abs(s / d.length - 0.5)).toBeLessThan(0.005);
      for (const b of bins) expect(Math.abs(b - 10000)).toBeLessThan(500);
    }
  });

  it('randint covers [low, high) and nothing else', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 5 }), fc.integer({ min: 1, max: 8 }), fc.nat(), (low, span, seed) => {
        const d = new Generator(seed).randint(low, low + span, [40 * span], { dtype: 'float64' }).data;
        const seen = new Set(Array.from(d));
        for (const v of seen) expect(Number.isInteger(v) && v >= low && v < low + span).toBe(true);
        expect(seen.size).toBe(span);
      }),
      { numRuns: 25 },
    );
    expect(() => new Generator(0).randint(3, 3, [1])).toThrow(/randint: empty range \[3, 3\)/);
  });

  it('randperm is a permutation; shuffle permutes in place', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 50 }), fc.nat(), (n, seed) => {
        const g = new Generator(seed);
        const p = g.randperm(n);
        expect([...p].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
        const items = Array.from({ length: n }, (_, i) => `x${i}`);
        const same = g.shuffle(items);
        expect(same).toBe(items);
        expect([...items].sort()).toEqual(Array.from({ length: n }, (_, i) => `x${i}`).sort());
      }),
      { numRuns: 25 },
    );
    // every position is reached: over many draws each value visits each slot
    const g = new Generator(11);
    const hits = Array.from({ length: 4 }, () => new Array<number>(4).fill(0));
    for (let t = 0; t < 4000; t++) g.randperm(4).forEach((v, i) => hits[v]![i]!++);
    for (const row of hits) for (const c of row) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });

  it('sample draws k distinct items of the pool, each about equally often', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer(), { maxLength: 12 }).chain((pool) => fc.tuple(fc.constant(pool), fc.integer({ min: 0, max: pool.length }), fc.nat())), ([pool, k, seed]) => {
        const s = new Generator(seed).sample(pool, k);
        expect(s.length).toBe(k);
        expect(new Set(s).size).toBe(k);
        for (const v of s) expect(pool).toContain(v);
      }),
      { numRuns: 25 },
    );
    const g = new Generator(3);
    const counts = new Map<string, number>();
    for (let t = 0; t < 6000; t++) for (const v of g.sample(['a', 'b', 'c', 'd', 'e', 'f'], 2)) counts.set(v, (counts.get(v) ?? 0) + 1);
    for (const c of counts.values()) expect(Math.abs(c - 2000)).toBeLessThan(200);
    expect(() => g.sample([1, 2], 3)).toThrow(/sample: cannot take 3 of 2 items/);
  });
});
