import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, tensor, type Tensor } from '../../core/index.js';
import { DDIMScheduler, SD_SCHEDULER_CONFIG, type DDIMSchedulerConfig, type PredictionType } from '../../diffusion/index.js';
import { expectClose, scaledLinearAlphasCumprod, zipMap } from './helpers.js';

const AC = scaledLinearAlphasCumprod();
const f64 = (v: number[], shape = [1, 2, 2, 2]): Tensor => tensor(v, { dtype: 'float64', shape });
const X = [0.3, -0.7, 1.2, 0.05, -1.5, 0.9, 0.0, 2.1];
const M = [-0.4, 0.8, 0.1, -1.1, 0.6, -0.2, 1.3, -0.9];

function sd(over: Partial<DDIMSchedulerConfig> = {}): DDIMScheduler {
  return DDIMScheduler.from_config({ ...SD_SCHEDULER_CONFIG, ...over });
}

describe('DDIMScheduler.set_timesteps', () => {
  it("'leading', 50 steps, steps_offset 1: [981, 961, ..., 1]", () => {
    const s = sd();
    s.set_timesteps(50);
    expect(s.num_inference_steps).toBe(50);
    expect(s.timesteps).toEqual(Array.from({ length: 50 }, (_, i) => 981 - 20 * i));
    expect(s.timesteps[0]).toBe(981);
    expect(s.timesteps[49]).toBe(1);
  });

  it("'leading', 50 steps, steps_offset 0 (the original's validation scheduler): [980, ..., 0]", () => {
    const s = sd({ steps_offset: 0 });
    s.set_timesteps(50);
    expect(s.timesteps).toEqual(Array.from({ length: 50 }, (_, i) => 980 - 20 * i));
  });

  it("'trailing' and 'linspace' match numpy's arange/linspace + round (half to even)", () => {
    const t = sd({ timestep_spacing: 'trailing' });
    t.set_timesteps(16); // 937.5 -> 938 -> 937, 812.5 -> 812 -> 811 under numpy's rounding
    expect(t.timesteps).toEqual([999, 937, 874, 811, 749, 687, 624, 561, 499, 437, 374, 311, 249, 187, 124, 61]);
    t.set_timesteps(3);
    expect(t.timesteps).toEqual([999, 666, 332]);
    const l = sd({ timestep_spacing: 'linspace' });
    l.set_timesteps(27); // numpy gives 13 * (999/26) = 499.4999... -> 499, not round(499.5)
    expect(l.timesteps).toEqual([999, 961, 922, 884, 845, 807, 768, 730, 692, 653, 615, 576, 538, 499, 461, 423, 384, 346, 307, 269, 231, 192, 154, 115, 77, 38, 0]);
    l.set_timesteps(1);
    expect(l.timesteps).toEqual([0]);
  });

  it('starts with all N timesteps and rejects more steps than the schedule has', () => {
    const s = sd();
    expect(s.timesteps.length).toBe(1000);
    expect(s.timesteps[0]).toBe(999);
    expect(() => s.set_timesteps(1001)).toThrow(/cannot exceed/);
    expect(() => s.set_timesteps(0)).toThrow(/positive integer/);
    expect(() => s.step(f64(M), 981, f64(X))).toThrow(/set_timesteps/);
  });
});

/** DDIM eq. 12 by hand on flat arrays. */
function ddimByHand(type: PredictionType, model: number[], x: number[], t: number, prev: number, finalAc: number, eta = 0, z?: number[]): { prev: number[]; x0: number[] } {
  const a = AC[t]!;
  const ap = prev >= 0 ? AC[prev]! : finalAc;
  const sa = Math.sqrt(a);
  const sb = Math.sqrt(1 - a);
  const x0 = zipMap([model, x], (m, s) => (type === 'epsilon' ? (s - sb * m) / sa : type === 'v_prediction' ? sa * s - sb * m : m));
  const eps = zipMap([model, x], (m, s) => (type === 'epsilon' ? m : type === 'v_prediction' ? sa * m + sb * s : (s - sa * m) / sb));
  const sigma = eta * Math.sqrt(((1 - ap) / (1 - a)) * (1 - a / ap));
  const out = zipMap([x0, eps, z ?? x0.map(() => 0)], (x0i, e, zi) => Math.sqrt(ap) * x0i + Math.sqrt(1 - ap - sigma * sigma) * e + sigma * zi);
  return { prev: out, x0 };
}

describe('DDIMScheduler.step', () => {
  for (const type of ['epsilon', 'v_prediction', 'sample'] as const) {
    it(`matches a hand computation (${type})`, () => {
      const s = sd({ prediction_type: type });
      s.set_timesteps(50);
      const out = s.step(f64(M), 981, f64(X));
      const ref = ddimByHand(type, M, X, 981, 961, AC[0]!);
      expectClose(out.prev_sample, ref.prev, 1e-12);
      expectClose(out.pred_original_sample, ref.x0, 1e-12);
      expect(out.prev_sample.shape).toEqual([1, 2, 2, 2]);
    });
  }

  it('past t = 0 lands on alphas_cumprod[0] (set_alpha_to_one false) or 1 (true)', () => {
    const s = sd();
    s.set_timesteps(50);
    expect(s.final_alpha_cumprod).toBe(s.alphas_cumprod[0]);
    expectClose(s.step(f64(M), 1, f64(X)).prev_sample, ddimByHand('epsilon', M, X, 1, -19, AC[0]!).prev);
    const one = sd({ set_alpha_to_one: true });
    one.set_timesteps(50);
    const out = one.step(f64(M), 1, f64(X));
    // with abar_prev = 1 the step returns x0_hat itself
    expectClose(out.prev_sample, out.pred_original_sample.data, 1e-15);
  });

  it('eta > 0 adds sigma_t z, with sigma_t^2 = eta^2 (1 - abar_prev) / (1 - abar_t) (1 - abar_t / abar_prev)', () => {
    const s = sd();
    s.set_timesteps(50);
    const z = [0.5, -0.25, 1, 2, -1, 0.1, 0.3, -0.6];
    const out = s.step(f64(M), 501, f64(X), { eta: 0.7, variance_noise: f64(z) });
    expectClose(out.prev_sample, ddimByHand('epsilon', M, X, 501, 481, AC[0]!, 0.7, z).prev, 1e-12);
    expect(s._get_variance(501, 481)).toBeCloseTo(((1 - AC[481]!) / (1 - AC[501]!)) * (1 - AC[501]! / AC[481]!), 15);
    // a generator gives reproducible noise
    const a = s.step(f64(M), 501, f64(X), { eta: 1, generator: new Generator(3) }).prev_sample.data;
    const b = s.step(f64(M), 501, f64(X), { eta: 1, generator: new Generator(3) }).prev_sample.data;
    expect([...a]).toEqual([...b]);
    expect(() => s.step(f64(M), 501, f64(X), { eta: 1, generator: new Generator(3), variance_noise: f64(z) })).toThrow(/either/);
  });

  it('eta = 0 is deterministic and draws no randomness', () => {
    const s = sd();
    s.set_timesteps(50);
    const g = new Generator(11);
    const before = g.get_state();
    const a = s.step(f64(M), 741, f64(X), { generator: g }).prev_sample.data;
    const b = s.step(f64(M), 741, f64(X)).prev_sample.data;
    expect([...a]).toEqual([...b]);
    expect(g.get_state()).toEqual(before);
  });

  it('clip_sample clamps x0 to clip_sample_range; use_clipped_model_output recomputes eps from it', () => {
    const s = sd({ clip_sample: true, clip_sample_range: 0.5 });
    s.set_timesteps(50);
    const out = s.step(f64(M), 981, f64(X));
    const x0 = ddimByHand('epsilon', M, X, 981, 961, AC[0]!).x0.map((v) => Math.min(0.5, Math.max(-0.5, v)));
    expectClose(out.pred_original_sample, x0);
    const a = AC[981]!;
    const ap = AC[961]!;
    const clipped = s.step(f64(M), 981, f64(X), { use_clipped_model_output: true });
    const ref = zipMap([x0, X], (x0i, xi) => Math.sqrt(ap) * x0i + Math.sqrt(1 - ap) * ((xi - Math.sqrt(a) * x0i) / Math.sqrt(1 - a)));
    expectClose(clipped.prev_sample, ref);
  });

  it('dynamic thresholding clamps to the per-sample quantile s and divides by s', () => {
    const s = DDIMScheduler.from_config({ ...SD_SCHEDULER_CONFIG, prediction_type: 'sample', thresholding: true, dynamic_thresholding_ratio: 0.5, sample_max_value: 3 });
    s.set_timesteps(10);
    // sample prediction: x0 = model output. |row 0| sorted = 0.5 1 2 4 -> median 1.5; row 1 is small -> s = 1
    const model = tensor([[-4, 2, 0.5, 1], [0.1, -0.2, 0.3, 0.4]], { dtype: 'float64' });
    const x0 = s.step(model, 901, model).pred_original_sample;
    expectClose(x0, [-1, 1, 0.5 / 1.5, 1 / 1.5, 0.1, -0.2, 0.3, 0.4], 1e-15);
  });

  it('keeps float32 samples float32', () => {
    const s = sd();
    s.set_timesteps(50);
    const out = s.step(tensor(M, { shape: [1, 2, 2, 2] }), 981, tensor(X, { shape: [1, 2, 2, 2] }));
    expect(out.prev_sample.dtype).toBe('float32');
    expect(out.pred_original_sample.dtype).toBe('float32');
  });

  it('accepts a one-element timestep tensor and rejects off-schedule values', () => {
    const s = sd();
    s.set_timesteps(50);
    const a = s.step(f64(M), tensor([981], { dtype: 'float64' }), f64(X)).prev_sample.data;
    expect([...a]).toEqual([...s.step(f64(M), 981, f64(X)).prev_sample.data]);
    expect(() => s.step(f64(M), 1000, f64(X))).toThrow(/timestep/);
    expect(() => s.step(f64(M), 3.5, f64(X))).toThrow(/timestep/);
  });
});

describe('DDIM with a perfect model', () => {
  const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);
  const vals = fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 8, maxLength: 8 });

  it('recovers x0 from add_noise(x0, eps, t) in one step, and stays on the same noise (eta 0)', () => {
    const s0 = sd();
    s0.set_timesteps(50);
    fc.assert(
      fc.property(vals, vals, pick(s0.timesteps), pick(['epsilon', 'v_prediction', 'sample'] as const), (x0v, epsv, t, type) => {
        const s = sd({ prediction_type: type });
        s.set_timesteps(50);
        const x0 = f64(x0v);
        const eps = f64(epsv);
        const xt = s.add_noise(x0, eps, [t]);
        const model = type === 'epsilon' ? eps : type === 'v_prediction' ? s.get_velocity(x0, eps, [t]) : x0;
        const out = s.step(model, t, xt);
        expectClose(out.pred_original_sample, x0v, 1e-9);
        // deterministic DDIM maps x_t(x0, eps) to x_prev(x0, eps): the next point on the same ray
        const prev = t - 20;
        const ap = prev >= 0 ? AC[prev]! : AC[0]!;
        expectClose(out.prev_sample, zipMap([x0v, epsv], (a, e) => Math.sqrt(ap) * a + Math.sqrt(1 - ap) * e), 1e-9);
      }),
      { numRuns: 60 },
    );
  });
});
