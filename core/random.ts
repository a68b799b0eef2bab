// A seeded generator: xoshiro128** over 32-bit integer arithmetic (Math.imul), seeded through
// splitmix32, so one seed gives the same stream on every machine. Normals by Box-Muller.
import { allocArray, HostStorage, type DType } from '../kernels/index.js';
import { checkShape, numel, type Shape } from './shape.js';
import { Tensor } from './tensor.js';
import { get_default_dtype } from './ops/creation.js';

export interface GeneratorState {
  s: [number, number, number, number];
  spare: number | null;
}

function splitmix32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

export class Generator {
  private s: [number, number, number, number] = [0, 0, 0, 0];
  private spare: number | null = null;

  constructor(seed = 0) {
    this.manual_seed(seed);
  }

  manual_seed(seed: number): this {
    if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
    // fold seeds beyond 32 bits in, so 2**32 + 1 and 1 differ
    const hi = Math.floor(seed / 4294967296) >>> 0;
    const next = splitmix32((seed >>> 0) ^ Math.imul(hi, 0x27d4eb2d));
    this.s = [next(), next(), next(), next()];
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
    this.spare = null;
    return this;
  }

  get_state(): GeneratorState {
    return { s: [...this.s], spare: this.spare };
  }

  set_state(state: GeneratorState): this {
    this.s = [...state.s];
    this.spare = state.spare;
    return this;
  }

  /** Next uint32. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] = (s[2] ^ s[0]) >>> 0;
    s[3] = (s[3] ^ s[1]) >>> 0;
    s[1] = (s[1] ^ s[2]) >>> 0;
    s[0] = (s[0] ^ s[3]) >>> 0;
    s[2] = (s[2] ^ t) >>> 0;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [low, high). */
  integer(low: number, high: number): number {
    if (!(high > low)) throw new RangeError(`randint: empty range [${low}, ${high})`);
    return low + Math.floor(this.random() * (high - low));
  }

  rand(shape: Shape, opts: { dtype?: DType } = {}): Tensor {
    const dtype = opts.dtype ?? get_default_dtype();
    // float32 must stay in [0, 1): rounding a 53-bit draw to 24 bits gives 1 above 1 - 2^-25, so
    // truncate to 24 bits instead (same draws, so the stream does not depend on the dtype)
    if (dtype === 'float32') return this.fill(shape, dtype, () => Math.floor(this.random() * 16777216) / 16777216);
    return this.fill(shape, dtype, () => this.random());
  }

  randn(shape: Shape, opts: { dtype?: DType } = {}): Tensor {
    return this.fill(shape, opts.dtype, () => this.normal());
  }

  randint(low: number, high: number, shape: Shape, opts: { dtype?: DType } = {}): Tensor {
    return this.fill(shape, opts.dtype, () => this.integer(low, high));
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  randperm(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    this.shuffle(p);
    return p;
  }

  /** Shuffles in place and returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.integer(0, i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  /** k distinct items of `items`, in random order (a partial Fisher-Yates). */
  sample<T>(items: readonly T[], k: number): T[] {
    if (!Number.isInteger(k) || k < 0 || k > items.length) throw new RangeError(`sample: cannot take ${k} of ${items.length} items`);
    const pool = [...items];
    for (let i = 0; i < k; i++) {
      const j = this.integer(i, pool.length);
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return pool.slice(0, k);
  }

  private fill(shape: Shape, dtype: DType | undefined, draw: () => number): Tensor {
    checkShape(shape);
    const d = allocArray(dtype ?? get_default_dtype(), numel(shape));
    for (let i = 0; i < d.length; i++) d[i] = draw();
    return new Tensor(new HostStorage(d), shape);
  }
}

/** The process-wide generator (torch.default_generator); `manual_seed` reseeds it. */
export const default_generator = new Generator(0);

export function manual_seed(seed: number): Generator {
  return default_generator.manual_seed(seed);
}

export const rand = (shape: Shape, opts: { dtype?: DType; generator?: Generator } = {}): Tensor => (opts.generator ?? default_generator).rand(shape, opts);
export const randn = (shape: Shape, opts: { dtype?: DType; generator?: Generator } = {}): Tensor => (opts.generator ?? default_generator).randn(shape, opts);
export const randint = (low: number, high: number, shape: Shape, opts: { dtype?: DType; generator?: Generator } = {}): Tensor =>
  (opts.generator ?? default_generator).randint(low, high, shape, opts);
export const randperm = (n: number, generator: Generator = default_generator): number[] => generator.randperm(n);
