import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, gradcheck, tensor, type Tensor } from '../../core/index.js';
import { DDIMScheduler, DDPMScheduler, SD_SCHEDULER_CONFIG } from '../../diffusion/index.js';
import { expectClose, scaledLinearAlphasCumprod } from './helpers.js';

const AC = scaledLinearAlphasCumprod();
const sched = new DDPMScheduler(SD_SCHEDULER_CONFIG);

describe('add_noise', () => {
  it('uses each batch element its own timestep', () => {
    const g = new Generator(0);
    const x0 = g.randn([3, 2, 2, 2], { dtype: 'float64' });
    const eps = g.randn([3, 2, 2, 2], { dtype: 'float64' });
    const ts = [0, 500, 999];
    const xt = sched.add_noise(x0, eps, ts);
    expect(xt.shape).toEqual([3, 2, 2, 2]);
    const ref = Array.from(x0.data, (v, i) => {
      const a = AC[ts[Math.floor(i / 8)]!]!;
      return Math.sqrt(a) * v + Math.sqrt(1 - a) * eps.data[i]!;
    });
    expectClose(xt, ref, 1e-14);
    // a tensor of timesteps is the same as the array
    expect([...sched.add_noise(x0, eps, tensor(ts, { dtype: 'float32' })).data]).toEqual([...xt.data]);
  });

  it('a single timestep (number, [t] or 0-d tensor) applies to the whole batch', () => {
    const g = new Generator(1);
    const x0 = g.randn([2, 3, 4], { dtype: 'float64' });
    const eps = g.randn([2, 3, 4], { dtype: 'float64' });
    const a = sched.add_noise(x0, eps, 250).data;
    expect([...sched.add_noise(x0, eps, [250]).data]).toEqual([...a]);
    expect([...sched.add_noise(x0, eps, tensor(250, { dtype: 'float64' })).data]).toEqual([...a]);
    expect([...sched.add_noise(x0, eps, [250, 250]).data]).toEqual([...a]);
  });

  it('rejects a timestep count that is not the batch size, non-integer and out-of-range timesteps', () => {
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    expect(() => sched.add_noise(x, x, [1, 2])).toThrow(/batch of 3/);
    expect(() => sched.add_noise(x, x, [1.5])).toThrow(/timestep/);
    expect(() => sched.add_noise(x, x, [1000])).toThrow(/timestep/);
    expect(() => sched.add_noise(x, x, [-1])).toThrow(/timestep/);
  });

  it('keeps float32 in float32 (the training dtype)', () => {
    const x = new Generator(2).randn([2, 3, 4, 4]);
    expect(sched.add_noise(x, x, [3, 900]).dtype).toBe('float32');
    expect(sched.get_velocity(x, x, [3, 900]).dtype).toBe('float32');
  });

  it('passes gradients to x0 and eps: d/dx0 = sqrt(abar_t), d/deps = sqrt(1 - abar_t), per sample', () => {
    const g = new Generator(3);
    const x0 = g.randn([2, 3], { dtype: 'float64' }).requires_grad_();
    const eps = g.randn([2, 3], { dtype: 'float64' }).requires_grad_();
    sched.add_noise(x0, eps, [10, 700]).sum().backward();
    expectClose(x0.grad!, [10, 10, 10, 700, 700, 700].map((t) => Math.sqrt(AC[t]!)), 1e-15);
    expectClose(eps.grad!, [10, 10, 10, 700, 700, 700].map((t) => Math.sqrt(1 - AC[t]!)), 1e-15);
  });

  it('gradcheck (float64) of add_noise and get_velocity over random shapes and timesteps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (batch, rest, seed) => {
          const g = new Generator(seed);
          const shape = [batch, ...rest];
          const ts = Array.from({ length: batch }, () => g.integer(0, 1000));
          const x0 = g.randn(shape, { dtype: 'float64' }).requires_grad_();
          const eps = g.randn(shape, { dtype: 'float64' }).requires_grad_();
          // a nonlinear head so the check is not just of a linear map's constant Jacobian
          const head = (t: Tensor): Tensor => t.mul(t).sum();
          expect(gradcheck((a, b) => head(sched.add_noise(a, b, ts)), [x0, eps]).ok).toBe(true);
          expect(gradcheck((a, b) => head(sched.get_velocity(a, b, ts)), [x0, eps]).ok).toBe(true);
          expect(gradcheck((a, b) => sched.add_noise(a, b, ts), [x0, eps]).ok).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('get_velocity', () => {
  it('is sqrt(abar) eps - sqrt(1 - abar) x0, and v-pred recovers x0 and eps from x_t', () => {
    const s = new DDIMScheduler(SD_SCHEDULER_CONFIG);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (t, seed) => {
        const g = new Generator(seed);
        const x0 = g.randn([1, 2, 3, 3], { dtype: 'float64' });
        const eps = g.randn([1, 2, 3, 3], { dtype: 'float64' });
        const a = AC[t]!;
        const v = s.get_velocity(x0, eps, [t]);
        expectClose(v, Array.from(x0.data, (x, i) => Math.sqrt(a) * eps.data[i]! - Math.sqrt(1 - a) * x), 1e-13);
        const xt = s.add_noise(x0, eps, [t]);
        // (x_t, v) is a rotation of (x0, eps) by the angle with cos = sqrt(abar)
        const x0r = xt.mul(Math.sqrt(a)).sub(v.mul(Math.sqrt(1 - a)));
        const epsr = v.mul(Math.sqrt(a)).add(xt.mul(Math.sqrt(1 - a)));
        expectClose(x0r, x0.data, 1e-12);
        expectClose(epsr, eps.data, 1e-12);
      }),
      { numRuns: 50 },
    );
  });
});

describe('epsilon_of', () => {
  it("recovers the noise from each prediction type's exact target at x_t (float64)", () => {
    const g = new Generator(3);
    const x0 = g.randn([2, 3, 2, 2], { dtype: 'float64' });
    const eps = g.randn([2, 3, 2, 2], { dtype: 'float64' });
    for (const prediction_type of ['epsilon', 'v_prediction', 'sample'] as const) {
      const s = new DDPMScheduler({ ...SD_SCHEDULER_CONFIG, prediction_type });
      for (const t of [0, 200, 600, 999]) {
        const xt = s.add_noise(x0, eps, t);
        const target = prediction_type === 'epsilon' ? eps : prediction_type === 'v_prediction' ? s.get_velocity(x0, eps, t) : x0;
        expectClose(s.epsilon_of(target, xt, t), Array.from(eps.data), 1e-9);
      }
    }
    expect(() => sched.epsilon_of(eps, eps, 1000)).toThrow(/1000/);
  });
});
