// Old-vs-new A/B of the SIMD products in one process: `npx tsx bench/gemm_ab.ts BASE [filter] [engine]`
// imports kernels/simd/index_for_bench.ts from BASE (a checkout of the baseline commit, e.g. made
// with `git worktree add --detach /tmp/gemm_base <commit>`; copy the file there if the commit
// predates it) and from this tree; `bench/gemm_ab.ts fma` compares this tree's mul + add kernel
// with its fused multiply-add one instead. Each shape runs
// alternately old/new for several rounds and prints medians and the new/old time ratio, after
// checking that both give the same values to float32 rounding. Shapes: matmul 512, the default
// UNet's batch-16 Linear, attention and 3x3 conv products (forward, backward input, backward filter).
// With `engine` the convolutions' operands and outputs live in each checkout's engine memory, as the
// backend's tensors do in a step (their copies then run as the backend runs them).
import type { Conv2dArgs, MatmulArgs } from '../kernels/backend.js';
import * as fresh from '../kernels/simd/index_for_bench.js';

type Impl = Omit<typeof fresh, 'setSimdFma' | 'inEngineMemory'> & { inEngineMemory?: typeof fresh.inEngineMemory };
const base = process.argv[2];
if (!base) throw new Error('usage: tsx bench/gemm_ab.ts BASE_CHECKOUT|fma [filter]');
/** This tree's products with the fused multiply-add kernel chosen (on) or not, before each call. */
const withFma = (on: boolean): Impl => ({
  sgemm: (...a) => (fresh.setSimdFma(on), fresh.sgemm(...a)),
  sgemmConv2d: (...a) => (fresh.setSimdFma(on), fresh.sgemmConv2d(...a)),
  sgemmConv2dBackwardInput: (...a) => (fresh.setSimdFma(on), fresh.sgemmConv2dBackwardInput(...a)),
  sgemmConv2dBackwardFilter: (...a) => (fresh.setSimdFma(on), fresh.sgemmConv2dBackwardFilter(...a)),
});
// `fma`: this tree's mul + add kernel (old) against its fused one (new); else BASE's products
// against this tree's (with the kernel BAS_RELAXED_SIMD selects)
if (base === 'fma' && !fresh.setSimdFma(true)) throw new Error('relaxed SIMD is unavailable here');
const old = base === 'fma' ? withFma(false) : ((await import(`${base}/kernels/simd/index_for_bench.ts`)) as Impl);
const neu = base === 'fma' ? withFma(true) : fresh;
const filter = process.argv[3] ?? '';
const engineMemory = process.argv[4] === 'engine';
if (process.argv[4] !== undefined && !engineMemory) throw new Error(`gemm_ab: the fourth argument may only be "engine", got "${process.argv[4]}"`);

const rand = (n: number, seed: number): Float32Array => {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2;
  }
  return out;
};

interface Case {
  name: string;
  flops: number;
  run(impl: Impl): Float32Array;
}
const cases: Case[] = [];
function mm(name: string, args: MatmulArgs): void {
  const a = rand(args.batch * args.m * args.k, 1);
  const b = rand(args.batch * args.k * args.n, 2);
  cases.push({ name, flops: 2 * args.batch * args.m * args.n * args.k, run: (impl) => impl.sgemm(a, b, args, new Float32Array(args.batch * args.m * args.n)) });
}
function conv(n: number, c: number, h: number, o: number): void {
  const a: Conv2dArgs = { n, c, h, w: h, o, kh: 3, kw: 3, strideH: 1, strideW: 1, padH: 1, padW: 1, outH: h, outW: h };
  const x = rand(n * c * h * h, 3);
  const w = rand(o * c * 9, 4);
  const dy = rand(n * o * h * h, 5);
  const flops = 2 * n * o * h * h * c * 9;
  const shape = `${n}x${c}x${h}x${h} o${o}`;
  // each checkout's own engine-memory copies of x and dy, made on first use
  const placed = new Map<Impl, [Float32Array, Float32Array]>();
  const operands = (impl: Impl): [Float32Array, Float32Array] => {
    if (!engineMemory || !impl.inEngineMemory) return [x, dy];
    if (!placed.has(impl)) placed.set(impl, [impl.inEngineMemory(x), impl.inEngineMemory(dy)]);
    return placed.get(impl)!;
  };
  cases.push({ name: `conv fwd ${shape}`, flops, run: (impl) => impl.sgemmConv2d(operands(impl)[0], w, a) });
  cases.push({ name: `conv bwd-in ${shape}`, flops, run: (impl) => impl.sgemmConv2dBackwardInput(operands(impl)[1], w, a) });
  cases.push({ name: `conv bwd-w ${shape}`, flops, run: (impl) => impl.sgemmConv2dBackwardFilter(...operands(impl), a) });
}
const plain = { batch: 1, transA: false, transB: false, strideA: 0, strideB: 0 };
mm('matmul 512', { ...plain, m: 512, k: 512, n: 512 });
mm('matmul 1024', { ...plain, m: 1024, k: 1024, n: 1024 });
mm('linear fwd 16384x64 @ (64x64)^T', { ...plain, m: 16384, k: 64, n: 64, transB: true });
mm('linear fwd 16384x128 @ (512x128)^T', { ...plain, m: 16384, k: 128, n: 512, transB: true });
mm('linear bwd-x 16384x512 @ 512x128', { ...plain, m: 16384, k: 512, n: 128 });
mm('linear bwd-w (16384x64)^T @ 16384x64', { ...plain, m: 64, k: 16384, n: 64, transA: true });
mm('attn scores 64 x 256x16 @ (256x16)^T', { batch: 64, m: 256, k: 16, n: 256, transA: false, transB: true, strideA: 256 * 16, strideB: 256 * 16, alpha: 0.25 });
mm('attn 64 x 256x256 @ 256x16', { batch: 64, m: 256, k: 256, n: 16, transA: false, transB: false, strideA: 256 * 256, strideB: 256 * 16 });
conv(16, 32, 32, 32);
conv(16, 64, 16, 64);
conv(16, 128, 8, 128);
conv(16, 96, 16, 64);

const med = (x: number[]): number => [...x].sort((p, q) => p - q)[x.length >> 1]!;
console.log(`${'case'.padEnd(40)} ${'old ms'.padStart(8)} ${'new ms'.padStart(8)} ${'old GF/s'.padStart(9)} ${'new GF/s'.padStart(9)}  new/old`);
for (const c of cases) {
  if (!c.name.includes(filter)) continue;
  const ref = c.run(old);
  const got = c.run(neu);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(ref[i]! - got[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  if (err > 1e-4 * Math.max(1, scale)) throw new Error(`${c.name}: old and new differ by ${err} (scale ${scale})`);
  const t: [number[], number[]] = [[], []];
  const budget = performance.now() + 4000;
  for (let r = 0; r < 7 || (r < 31 && performance.now() < budget); r++) {
    for (const [i, impl] of [old, neu].entries()) {
      const s = performance.now();
      c.run(impl);
      t[i]!.push(performance.now() - s);
    }
  }
  const [o, n] = [med(t[0]), med(t[1])];
  const gf = (ms: number): string => (c.flops / ms / 1e6).toFixed(1).padStart(9);
  console.log(`${c.name.padEnd(40)} ${o.toFixed(2).padStart(8)} ${n.toFixed(2).padStart(8)} ${gf(o)} ${gf(n)}  ${(n / o).toFixed(3)}`);
}
process.exit(0);
