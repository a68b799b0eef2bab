// Matrix products: matmul over 1-D, 2-D, batched and broadcast-batched operands, bmm, linear; the
// forward against a naive triple loop, the gradients against central differences.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bmm, gradcheck, linear, matmul, matmul_nt, mul, setBackend, tensor, transpose, zeros, type Tensor } from '../../core/index.js';
import { broadcastPairArb, constant, leaf, specArb, type Spec } from '../helpers/arbitraries.js';
import { propGrad } from '../helpers/grad.js';

const size = fc.integer({ min: 1, max: 4 });

/** Operand shapes for torch.matmul: each 1-D, 2-D or batched, the batch dims broadcasting. */
const matmulShapes = fc
  .record({ m: size, k: size, n: size, kindA: fc.constantFrom('1d', '2d', 'batched'), kindB: fc.constantFrom('1d', '2d', 'batched'), batch: broadcastPairArb({ maxRank: 2, maxDim: 3, maxNumel: 6 }) })
  .map(({ m, k, n, kindA, kindB, batch: [ba, bb] }) => ({
    a: kindA === '1d' ? [k] : kindA === '2d' ? [m, k] : [...ba, m, k],
    b: kindB === '1d' ? [k] : kindB === '2d' ? [k, n] : [...bb, k, n],
  }));

/** torch.matmul by its definition: promote 1-D, broadcast batches, loop, drop promoted dims. */
function naiveMatmul(a: Spec, b: Spec): { shape: number[]; data: number[] } {
  const as = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
  const [m, k] = as.slice(-2) as [number, number];
  const n = bs[bs.length - 1]!;
  const ba = as.slice(0, -2);
  const bb = bs.slice(0, -2);
  const rank = Math.max(ba.length, bb.length);
  const pa = [...new Array<number>(rank - ba.length).fill(1), ...ba];
  const pb = [...new Array<number>(rank - bb.length).fill(1), ...bb];
  const batch = pa.map((v, i) => Math.max(v, pb[i]!));
  const nb = batch.reduce((x, y) => x * y, 1);
  const data: number[] = [];
  for (let p = 0; p < nb; p++) {
    // multi-index of p in batch, then each operand's flat batch offset
    let rem = p;
    const idx = batch.map(() => 0);
    for (let i = rank - 1; i >= 0; i--) {
      idx[i] = rem % batch[i]!;
      rem = Math.floor(rem / batch[i]!);
    }
    const off = (shape: number[]): number => shape.reduce((acc, v, i) => acc * v + (v === 1 ? 0 : idx[i]!), 0);
    const oa = off(pa) * m * k;
    const ob = off(pb) * k * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += a.data[oa + i * k + q]! * b.data[ob + q * n + j]!;
        data.push(s);
      }
  }
  let shape = [...batch, m, n];
  if (a.shape.length === 1) shape = [...shape.slice(0, -2), n];
  if (b.shape.length === 1) shape = shape.slice(0, -1);
  return { shape, data };
}

describe('matmul / bmm', () => {
  const operands = matmulShapes.chain(({ a, b }) => fc.tuple(specArb(a), specArb(b)));
  propGrad('matmul', operands, ([a, b]) => {
    gradcheck(matmul, [leaf(a), leaf(b)]);
    gradcheck(matmul, [leaf(a), constant(b)]);
    const y = matmul(leaf(a, false), leaf(b, false));
    const want = naiveMatmul(a, b);
    expect(y.shape).toEqual(want.shape);
    Array.from(y.data).forEach((v, i) => expect(v).toBeCloseTo(want.data[i]!, 12));
  });

  const bmmOperands = fc.record({ bsz: size, m: size, k: size, n: size }).chain(({ bsz, m, k, n }) => fc.tuple(specArb([bsz, m, k]), specArb([bsz, k, n])));
  propGrad('bmm', bmmOperands, ([a, b]) => gradcheck(bmm, [leaf(a), leaf(b)]));

  it('1-D @ 1-D is a 0-d dot product; shapes drop the promoted dims', () => {
    const v = tensor([1, 2, 3], { dtype: 'float64' });
    expect(matmul(v, v).shape).toEqual([]);
    expect(matmul(v, v).item()).toBe(14);
    expect(matmul(zeros([2, 4, 3]), v.to('float32')).shape).toEqual([2, 4]);
    expect(matmul(v.to('float32'), zeros([5, 3, 2])).shape).toEqual([5, 2]);
    expect(matmul(zeros([2, 1, 3, 4]), zeros([5, 4, 2])).shape).toEqual([2, 5, 3, 2]);
  });

  it('errors name the operands', () => {
    expect(() => matmul(zeros([2, 3]), zeros([4, 2]))).toThrow(/matmul: shapes \[2, 3\] and \[4, 2\] do not chain \(3 vs 4\)/);
    expect(() => bmm(zeros([2, 2, 3]), zeros([3, 3, 2]))).toThrow(/bmm: expects \(B, m, k\) and \(B, k, n\), got \[2, 2, 3\] and \[3, 3, 2\]/);
    expect(() => matmul(zeros([2, 3]), zeros([3, 2], { dtype: 'float64' }))).toThrow(/dtypes differ/);
  });
});

describe('matmul_nt (attention scores: alpha * A @ B^T)', () => {
  const ntOperands = fc
    .record({ batch: broadcastPairArb({ maxRank: 2, maxDim: 3, maxNumel: 6 }), m: size, k: size, n: size, alpha: fc.constantFrom(1, 0.5, -0.3, 2 ** -0.5) })
    .chain(({ batch: [ba, bb], m, k, n, alpha }) => fc.tuple(specArb([...ba, m, k]), specArb([...bb, n, k]), fc.constant(alpha)));
  propGrad('matmul_nt', ntOperands, ([a, b, alpha]) => {
    gradcheck((x, y) => matmul_nt(x!, y!, alpha), [leaf(a), leaf(b)]);
    gradcheck((x, y) => matmul_nt(x!, y!, alpha), [constant(a), leaf(b)]);
    const y = matmul_nt(leaf(a, false), leaf(b, false), alpha);
    const want = mul(matmul(leaf(a, false), transpose(leaf(b, false), -2, -1)), alpha);
    expect(y.shape).toEqual(want.shape);
    Array.from(y.data).forEach((v, i) => expect(v).toBeCloseTo(want.data[i]!, 12));
  });

  it('float32 on gpujs-webasm: forward and both gradients bit for bit those of mul(matmul(a, b^T), alpha)', () => {
    setBackend('gpujs-webasm');
    try {
      for (const [bh, sq, sk, d] of [[8, 64, 24, 16], [3, 5, 7, 9], [2, 130, 130, 33]] as const) {
        const src = (n: number, s: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + s) * 2);
        const mk = (shape: number[], s: number): Tensor => tensor(src(shape.reduce((x, y) => x * y, 1), s), { shape, dtype: 'float32', requires_grad: true });
        const [q1, k1, q2, k2] = [mk([bh, sq, d], 1), mk([bh, sk, d], 2), mk([bh, sq, d], 1), mk([bh, sk, d], 2)];
        const g = tensor(src(bh * sq * sk, 3), { shape: [bh, sq, sk], dtype: 'float32' });
        const alpha = d ** -0.5;
        const fused = matmul_nt(q1, k1, alpha);
        const plain = mul(matmul(q2, transpose(k2, 1, 2)), alpha);
        expect(fused.data).toEqual(plain.data);
        fused.mul(g).sum().backward();
        plain.mul(g).sum().backward();
        expect(q1.grad!.data).toEqual(q2.grad!.data);
        expect(k1.grad!.data).toEqual(k2.grad!.data);
      }
    } finally {
      setBackend('cpu');
    }
  });

  it('errors name the operands', () => {
    expect(() => matmul_nt(zeros([2, 3]), zeros([4, 2]))).toThrow(/matmul: shapes \[2, 3\] and \[4, 2\] do not chain \(3 vs 2\)/);
    expect(() => matmul_nt(zeros([3]), zeros([4, 3]))).toThrow(/matmul_nt: both operands need at least two dims/);
  });
});

describe('linear', () => {
  const linearCase = fc
    .record({ lead: fc.array(size, { maxLength: 2 }), inF: size, outF: size, bias: fc.boolean() })
    .chain(({ lead, inF, outF, bias }) => fc.record({ x: specArb([...lead, inF]), w: specArb([outF, inF]), b: bias ? specArb([outF]).map((s): Spec | null => s) : fc.constant(null) }));
  propGrad('linear', linearCase, ({ x, w, b }) => {
    const inputs: Tensor[] = [leaf(x), leaf(w), ...(b ? [leaf(b)] : [])];
    gradcheck((xx, ww, bb) => linear(xx!, ww!, bb), inputs);
    // y = x W^T + b
    const y = linear(leaf(x, false), leaf(w, false), b ? leaf(b, false) : null);
    const ref = matmul(leaf(x, false), leaf(w, false).transpose(0, 1));
    const want = b ? ref.add(leaf(b, false)) : ref;
    Array.from(y.data).forEach((v, i) => expect(v).toBeCloseTo(want.data[i]!, 12));
    expect(y.shape).toEqual([...x.shape.slice(0, -1), w.shape[0]]);
  });

  it('linear errors name the mismatch', () => {
    expect(() => linear(zeros([2, 3]), zeros([4, 5]))).toThrow(/linear: input features 3 differ from weight's 5/);
    expect(() => linear(zeros([2, 3]), zeros([4, 3], { dtype: 'float64' }))).toThrow(/dtype/);
  });
});
