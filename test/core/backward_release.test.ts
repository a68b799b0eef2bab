// Backward releases the gradients it passes between nodes as soon as nothing needs them
// (core/autograd.ts): on gpujs-webasm a long chain's backward must leave only the leaves' and the
// retained grads alive, not one storage per node, and give the gradients the cpu backend gives,
// also where a backward hands g on as it is (add) or as a reshape of it.
import { afterEach, describe, expect, it } from 'vitest';
import { add, exp, getBackend, mul, reshape, setBackend, sum, tensor, tidy, type Tensor } from '../../core/index.js';
import type { GpuJsBackend } from '../../kernels/index.js';

afterEach(() => setBackend('cpu'));

const LINKS = 30;

/** x -> LINKS links of (h * 0.01 + h) with reshapes, exp, a retained grad in the middle -> sum. */
function run(backend: string): { x: number[]; mid: number[]; liveGrowth: number } {
  setBackend(backend);
  return tidy(() => {
    const x = tensor(Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * 0.1), { shape: [8, 8], dtype: 'float32', requires_grad: true });
    let h: Tensor = x;
    let mid: Tensor | null = null;
    for (let i = 0; i < LINKS; i++) {
      h = add(mul(h, 0.01), h);
      h = reshape(h, i % 2 === 0 ? [64] : [8, 8]);
      if (i === LINKS / 2) {
        h = exp(mul(h, 0.01));
        mid = h.retain_grad();
      }
    }
    const loss = sum(h);
    const live = (): number => (backend === 'cpu' ? 0 : (getBackend() as GpuJsBackend).stats().storages);
    const before = live();
    loss.backward();
    const liveGrowth = live() - before;
    return { x: Array.from(x.grad!.data), mid: Array.from(mid!.grad!.data), liveGrowth };
  });
}

describe('backward releases intermediate gradients', () => {
  it('gpujs-webasm: live storages grow by a few, not by one per node; gradients as on cpu', () => {
    const gpu = run('gpujs-webasm');
    const cpu = run('cpu');
    // x.grad, mid.grad and the seed; without the release every link left two or three gradients
    expect(gpu.liveGrowth).toBeLessThanOrEqual(6);
    expect(gpu.x).toHaveLength(64);
    gpu.x.forEach((v, i) => expect(v).toBeCloseTo(cpu.x[i]!, 3));
    gpu.mid.forEach((v, i) => expect(v).toBeCloseTo(cpu.mid[i]!, 3));
  });
});
