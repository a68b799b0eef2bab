// Side-by-side micro benchmarks of op-level fusions at the `default` UNet's shapes (batch 16,
// attention at 16x16 with 4 heads of 16): each case times the old composition and the fused op
// alternately in one process, so load on a shared machine hits both alike, and checks that the
// two give the same bytes.
//   tsx bench/micro_ops.ts [backend=gpujs-webasm] [reps=15]
import { cat, Generator, getBackend, matmul, matmul_nt, mul, no_grad, setBackend, stridesOf, Tensor, tidy, transpose } from '../core/index.js';
import type { Storage } from '../kernels/index.js';

const [backend = 'gpujs-webasm', repsArg = '15'] = process.argv.slice(2);
const reps = Number(repsArg);
if (!Number.isInteger(reps) || reps < 1) throw new Error(`micro_ops: reps must be a positive integer, got "${repsArg}"`);
setBackend(backend);
const gen = new Generator(0);
const randn = (shape: number[]): Tensor => gen.randn(shape, { dtype: 'float32' });

interface Case {
  name: string;
  old: () => Tensor;
  fused: () => Tensor;
}

const q = randn([64, 256, 16]);
const kSelf = randn([64, 256, 16]);
const kCross = randn([64, 24, 16]);
const scale = 16 ** -0.5;
const skipA = randn([16, 64, 16, 16]);
const skipB = randn([16, 64, 16, 16]);
/** cat as it was before the concat kernel: per piece a zero buffer with the piece scattered in, summed. */
function catByScatter(xs: readonly Tensor[], d: number): Tensor {
  const b = getBackend();
  const outShape = xs[0]!.shape.map((v, i) => (i === d ? xs.reduce((s, t) => s + t.shape[d]!, 0) : v));
  const strides = stridesOf(outShape);
  const size = outShape.reduce((x, y) => x * y, 1);
  let acc: Storage | null = null;
  let at = 0;
  for (const t of xs) {
    const placed = b.stridedScatterAdd(b.upload(t.storage), size, { outShape: t.shape, strides, offset: at * strides[d]! });
    acc = acc ? b.binary('add', acc, [size], placed, [size], [size]) : placed;
    at += t.shape[d]!;
  }
  return new Tensor(acc!, outShape);
}

const cases: Case[] = [
  { name: 'attention scores, self 64x256x256 (d 16)', old: () => mul(matmul(q, transpose(kSelf, 1, 2)), scale), fused: () => matmul_nt(q, kSelf, scale) },
  { name: 'attention scores, cross 64x256x24 (d 16)', old: () => mul(matmul(q, transpose(kCross, 1, 2)), scale), fused: () => matmul_nt(q, kCross, scale) },
  { name: 'cat of skip connections 2 x 16x64x16x16, dim 1', old: () => catByScatter([skipA, skipB], 1), fused: () => cat([skipA, skipB], 1) },
];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const timed = (f: () => Tensor): [number, Float32Array] => {
  const t0 = performance.now();
  const out = tidy(() => Float32Array.from(no_grad(f).data));
  return [performance.now() - t0, out];
};

for (const c of cases) {
  const [, a] = timed(c.old);
  const [, b] = timed(c.fused);
  const same = a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  const to: number[] = [];
  const tf: number[] = [];
  for (let i = 0; i < reps; i++) {
    to.push(timed(c.old)[0]);
    tf.push(timed(c.fused)[0]);
  }
  console.log(`${c.name}: old ${median(to).toFixed(1)} ms, fused ${median(tf).toFixed(1)} ms, bytes ${same ? 'identical' : 'DIFFER'}`);
}
process.exit(0);
