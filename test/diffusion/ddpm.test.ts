import { describe, expect, it } from 'vitest';
import { Generator, tensor, zeros, type Tensor } from '../../core/index.js';
import { DDPMScheduler, SD_SCHEDULER_CONFIG, type DDPMSchedulerConfig, type PredictionType } from '../../diffusion/index.js';
import { expectClose, scaledLinearAlphasCumprod, zipMap } from './helpers.js';

const AC = scaledLinearAlphasCumprod();
const f64 = (v: number[], shape = [1, 2, 2, 2]): Tensor => tensor(v, { dtype: 'float64', shape });
const X = [0.3, -0.7, 1.2, 0.05, -1.5, 0.9, 0.0, 2.1];
const M = [-0.4, 0.8, 0.1, -1.1, 0.6, -0.2, 1.3, -0.9];

function sd(over: Partial<DDPMSchedulerConfig> = {}): DDPMScheduler {
  // SD's keys (without DDIM's set_alpha_to_one, which DDPM ignores anyway)
  return new DDPMScheduler({ ...SD_SCHEDULER_CONFIG, ...over });
}

/** Posterior mean and fixed_small variance between t and prev, by hand. */
function ddpmByHand(type: PredictionType, model: number[], x: number[], t: number, prev: number): { mean: number[]; x0: number[]; variance: number } {
  const a = AC[t]!;
  const ap = prev >= 0 ? AC[prev]! : 1;
  const beta = 1 - a / ap;
  const x0 = zipMap([model, x], (m, s) => (type === 'epsilon' ? (s - Math.sqrt(1 - a) * m) / Math.sqrt(a) : type === 'v_prediction' ? Math.sqrt(a) * s - Math.sqrt(1 - a) * m : m));
  const mean = zipMap([x0, x], (x0i, xi) => ((Math.sqrt(ap) * beta) / (1 - a)) * x0i + ((Math.sqrt(1 - beta) * (1 - ap)) / (1 - a)) * xi);
  return { mean, x0, variance: ((1 - ap) / (1 - a)) * beta };
}

describe('DDPMScheduler', () => {
  it('previous_timestep: t - 1 before set_timesteps, the next scheduled timestep after', () => {
    const s = sd();
    expect(s.previous_timestep(500)).toBe(499);
    s.set_timesteps(10);
    expect(s.timesteps).toEqual([901, 801, 701, 601, 501, 401, 301, 201, 101, 1]);
    expect(s.previous_timestep(901)).toBe(801);
    expect(s.previous_timestep(1)).toBe(-1);
    const tr = sd({ timestep_spacing: 'trailing' });
    tr.set_timesteps(16);
    expect(tr.previous_timestep(937)).toBe(874); // the schedule's neighbour, not t - 62
  });

  for (const type of ['epsilon', 'v_prediction', 'sample'] as const) {
    it(`step matches the posterior mean + sqrt(fixed_small variance) z by hand (${type})`, () => {
      const s = sd({ prediction_type: type });
      s.set_timesteps(50);
      const z = [0.5, -0.25, 1, 2, -1, 0.1, 0.3, -0.6];
      const out = s.step(f64(M), 501, f64(X), { variance_noise: f64(z) });
      const ref = ddpmByHand(type, M, X, 501, 481);
      expectClose(out.pred_original_sample, ref.x0);
      expectClose(out.prev_sample, zipMap([ref.mean, z], (m, zi) => m + Math.sqrt(ref.variance) * zi));
      expect(s._get_variance(501)).toBeCloseTo(ref.variance, 15);
    });
  }

  it('the step noise has the model output shape and the fixed_small variance', () => {
    const s = sd();
    s.set_timesteps(50);
    const shape = [4, 3, 16, 16];
    const model = zeros(shape, { dtype: 'float64' });
    const sample = zeros(shape, { dtype: 'float64' });
    const out = s.step(model, 501, sample, { generator: new Generator(5) });
    expect(out.prev_sample.shape).toEqual(shape);
    // with zero model output and sample the mean is 0, so prev_sample is exactly sqrt(var) * z
    const z = new Generator(5).randn(shape, { dtype: 'float64' }).data;
    const sd501 = Math.sqrt(ddpmByHand('epsilon', [0], [0], 501, 481).variance);
    expectClose(out.prev_sample, Array.from(z, (v) => v * sd501), 1e-15);
    const d = out.prev_sample.data;
    const varEmp = Array.from(d).reduce((acc, v) => acc + v * v, 0) / d.length;
    expect(varEmp / (sd501 * sd501)).toBeGreaterThan(0.9);
    expect(varEmp / (sd501 * sd501)).toBeLessThan(1.1);
  });

  it('fixed_large uses beta_t over the stride; the variance floor keeps fixed_small positive', () => {
    const s = sd({ variance_type: 'fixed_large' });
    s.set_timesteps(50);
    expect(s._get_variance(501)).toBeCloseTo(1 - AC[501]! / AC[481]!, 15);
    const full = sd();
    expect(full._get_variance(0)).toBe(1e-20);
  });

  it('adds no noise at t = 0, where the full schedule returns x0_hat', () => {
    const s = sd();
    const g = new Generator(1);
    const before = g.get_state();
    const out = s.step(f64(M), 0, f64(X), { generator: g });
    expect(g.get_state()).toEqual(before);
    expectClose(out.prev_sample, out.pred_original_sample.data, 1e-15);
  });

  it('with an oracle x0 model, ancestral sampling ends exactly on x0', () => {
    const s = sd({ steps_offset: 0, clip_sample: false });
    s.set_timesteps(20);
    const x0 = [0.2, -0.4, 0.6, -0.8, 0.1, 0.0, 0.9, -0.3];
    const g = new Generator(42);
    let x = g.randn([1, 2, 2, 2], { dtype: 'float64' });
    for (const t of s.timesteps) {
      // the eps that makes x0_hat = x0
      const a = s.alphas_cumprod[t]!;
      const eps = f64(zipMap([x.data, x0], (xi, x0i) => (xi - Math.sqrt(a) * x0i) / Math.sqrt(1 - a)));
      x = s.step(eps, t, x, { generator: g }).prev_sample;
    }
    expectClose(x, x0, 1e-9);
  });

  it('clip_sample (diffusers default true) clamps x0 to [-1, 1]', () => {
    const s = new DDPMScheduler();
    expect(s.config.clip_sample).toBe(true);
    const out = s.step(f64([5, -5, 0, 0, 0, 0, 0, 0]), 999, f64(X), { generator: new Generator(0) });
    expect(Math.max(...out.pred_original_sample.data)).toBeLessThanOrEqual(1);
    expect(Math.min(...out.pred_original_sample.data)).toBeGreaterThanOrEqual(-1);
  });
});
