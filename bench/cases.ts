// The benchmarked ops with their shapes and nominal FLOP counts. Shapes are written as the op
// reads them: matmul MxKxN; bmm B x MxNxK (the attention score product Q @ K^T, so B is
// transposed); conv2d NxCxHxW, 3x3, O filters, padding 1; softmax over the last axis.
export type Case =
  | { op: 'matmul'; shape: string; m: number; k: number; n: number; flops: number }
  | { op: 'bmm'; shape: string; batch: number; m: number; n: number; k: number; flops: number }
  | { op: 'conv2d'; shape: string; n: number; c: number; h: number; w: number; o: number; flops: number }
  | { op: 'softmax'; shape: string; rows: number; cols: number; lead: number[]; flops: number };

const matmul = (s: number): Case => ({ op: 'matmul', shape: `${s}x${s}x${s}`, m: s, k: s, n: s, flops: 2 * s * s * s });
const bmm = (batch: number, m: number, n: number, k: number): Case => ({ op: 'bmm', shape: `${batch} x ${m}x${n}x${k}`, batch, m, n, k, flops: 2 * batch * m * n * k });
const conv = (n: number, c: number, h: number, o: number): Case => ({ op: 'conv2d', shape: `${n}x${c}x${h}x${h} k3 o${o}`, n, c, h, w: h, o, flops: 2 * n * o * h * h * c * 9 });

export const CASES: Case[] = [
  matmul(256),
  matmul(512),
  matmul(1024),
  bmm(8, 256, 256, 32),
  bmm(8, 256, 16, 32),
  conv(2, 32, 64, 32),
  conv(2, 128, 16, 128),
  // nominal 5 flops per element (max, subtract, exp, sum, divide): a rate, not a FLOP count
  { op: 'softmax', shape: '8x256x256', rows: 8 * 256, cols: 256, lead: [8, 256], flops: 5 * 8 * 256 * 256 },
];
