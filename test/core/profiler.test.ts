// The profiler counts what ran: each kernel call once (a backend's inner calls fold into the outer
// one), products' flops from their shapes, each op's forward and its node's backward, and it
// leaves no hook behind.
import { describe, expect, it } from 'vitest';
import { formatProfile, matmul, mul, Profiler, StepProfiler, Generator, sum, tensor, no_grad } from '../../core/index.js';
import { opHooks } from '../../core/op_hooks.js';

const count = (r: Awaited<ReturnType<Profiler['stop']>>, kernel: string, phase: string): number =>
  r.kernels.filter((k) => k.kernel === kernel && k.phase === phase).reduce((a, k) => a + k.calls, 0);

describe('Profiler', () => {
  it('counts kernels per phase, product flops, and ops forward and backward', async () => {
    const gen = new Generator().manual_seed(0);
    const a = gen.randn([3, 5]).requires_grad_();
    const b = gen.randn([5, 7]).requires_grad_();
    const p = new Profiler().start();
    const y = sum(mul(matmul(a, b), 2));
    y.backward();
    p.section('optimizer', () => no_grad(() => mul(a, 0.5)));
    const r = await p.stop();
    // forward: one product of 3x5x7; backward: dA = dY B^T and dB = A^T dY
    expect(count(r, 'matmul', 'forward')).toBe(1);
    expect(count(r, 'matmul', 'backward')).toBe(2);
    const fwd = r.kernels.find((k) => k.kernel === 'matmul' && k.phase === 'forward')!;
    expect(fwd.flops).toBe(2 * 3 * 5 * 7);
    expect(fwd.bytes).toBe(3 * 7 * 4);
    const ops = new Set(r.ops.map((o) => `${o.phase}:${o.op}`));
    for (const o of ['forward:Mm', 'forward:Mul', 'forward:Sum', 'backward:MmBackward', 'backward:MulBackward', 'backward:SumBackward', 'optimizer:Mul']) {
      expect(ops, o).toContain(o);
    }
    // every top-level kernel is inside the window, and no op owns more kernel time than ran
    const kernelSum = r.kernels.reduce((s, k) => s + k.ms, 0);
    expect(kernelSum).toBeCloseTo(r.kernel_ms, 6);
    expect(r.ops.reduce((s, o) => s + o.kernel_ms, 0)).toBeLessThanOrEqual(r.kernel_ms + 1e-6);
    expect(r.kernel_ms).toBeLessThanOrEqual(r.wall_ms);
    expect(formatProfile(r)).toMatch(/\| matmul +\| +forward \| +1\.0 \|/);
  });

  it('records nothing once stopped', async () => {
    const p = new Profiler().start();
    await p.stop();
    expect(opHooks).toBeNull();
    const q = new Profiler().start();
    const r0 = await q.stop();
    tensor([1, 2]).add(1);
    expect(r0.kernels.length).toBe(0);
  });

  it('StepProfiler profiles the steps after `wait`, `active` of them, once', async () => {
    const reports: [number, number][] = [];
    const sp = new StepProfiler(1, 2, (r, steps) => reports.push([r.kernels.filter((k) => k.kernel === 'matmul').reduce((a, k) => a + k.calls, 0), steps]));
    const a = tensor([[1, 2], [3, 4]]);
    for (let i = 0; i < 5; i++) {
      await sp.step();
      sp.section('optimizer', () => matmul(a, a));
    }
    await sp.finish();
    // steps 1 and 2 (of 0..4) ran one product each inside the window
    expect(reports).toEqual([[2, 2]]);
    expect(opHooks).toBeNull();
  });

  it('StepProfiler reports a window cut short by the end of training', async () => {
    const reports: number[] = [];
    const sp = new StepProfiler(0, 10, (_, steps) => reports.push(steps));
    for (let i = 0; i < 3; i++) await sp.step();
    await sp.finish();
    expect(reports).toEqual([3]);
  });
});
