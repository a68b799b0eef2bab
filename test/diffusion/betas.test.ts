// Beta schedules against their definitions: scaled_linear (SD), linear, squaredcos_cap_v2, trained
// betas, zero-terminal-SNR rescaling, and the errors for bad schedules.
import { describe, expect, it } from 'vitest';
import { betas_for_alpha_bar, DDIMScheduler, DDPMScheduler, make_betas, rescale_zero_terminal_snr, SD_SCHEDULER_CONFIG } from '../../diffusion/index.js';
// alphas_cumprod recomputed straight from the formula, independently of the library
import { scaledLinearAlphasCumprod } from './helpers.js';

describe('beta schedules', () => {
  it('scaled_linear matches SD: alphas_cumprod[0] = 1 - 0.00085, [999] ~ 0.0047', () => {
    const s = new DDIMScheduler(SD_SCHEDULER_CONFIG);
    const ref = scaledLinearAlphasCumprod(0.00085, 0.012, 1000);
    expect(s.alphas_cumprod).toBeInstanceOf(Float64Array);
    expect(s.alphas_cumprod.length).toBe(1000);
    expect(s.alphas_cumprod[0]).toBeCloseTo(0.99915, 15);
    expect(s.alphas_cumprod[999]).toBeCloseTo(0.0047, 4);
    // numpy float64: 0.004660098513077238
    expect(s.alphas_cumprod[999]).toBeCloseTo(0.004660098513077238, 14);
    for (const i of [0, 1, 10, 500, 998, 999]) expect(s.alphas_cumprod[i]).toBeCloseTo(ref[i]!, 14);
    expect(s.betas[999]).toBeCloseTo(0.012, 15);
    // monotone decreasing
    for (let i = 1; i < 1000; i++) expect(s.alphas_cumprod[i]!).toBeLessThan(s.alphas_cumprod[i - 1]!);
  });

  it('linear is a linspace of betas (diffusers default 1e-4 .. 0.02)', () => {
    const s = new DDPMScheduler();
    expect(s.betas[0]).toBeCloseTo(1e-4, 16);
    expect(s.betas[999]).toBeCloseTo(0.02, 16);
    expect(s.betas[500]).toBeCloseTo(1e-4 + ((0.02 - 1e-4) * 500) / 999, 16);
    expect(s.alphas[3]).toBe(1 - s.betas[3]!);
  });

  it('squaredcos_cap_v2 follows the cosine alpha-bar and caps betas at 0.999', () => {
    const abar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    const s = new DDPMScheduler({ beta_schedule: 'squaredcos_cap_v2' });
    expect(s.betas[999]).toBe(0.999);
    expect(Math.max(...s.betas)).toBeLessThanOrEqual(0.999);
    // away from the cap, alphas_cumprod telescopes to abar(t+1/N) / abar(0)
    for (const i of [0, 100, 500, 900]) expect(s.alphas_cumprod[i]).toBeCloseTo(abar((i + 1) / 1000) / abar(0), 12);
    expect(betas_for_alpha_bar(10, 0.999, 'exp')[0]).toBeCloseTo(1 - Math.exp(-1.2), 15);
  });

  it('trained_betas override the schedule; wrong length is rejected', () => {
    const betas = [0.1, 0.2, 0.3];
    const s = new DDIMScheduler({ num_train_timesteps: 3, trained_betas: betas });
    expect([...s.alphas_cumprod]).toEqual([0.9, 0.9 * 0.8, 0.9 * 0.8 * 0.7]);
    expect(() => new DDIMScheduler({ num_train_timesteps: 4, trained_betas: betas })).toThrow(/trained_betas/);
  });

  it('rescale_betas_zero_snr gives zero terminal SNR and keeps the first alpha-bar', () => {
    const plain = new DDIMScheduler(SD_SCHEDULER_CONFIG);
    const s = new DDIMScheduler({ ...SD_SCHEDULER_CONFIG, rescale_betas_zero_snr: true });
    expect(s.alphas_cumprod[999]).toBeLessThan(1e-20);
    expect(s.alphas_cumprod[0]).toBeCloseTo(plain.alphas_cumprod[0]!, 14);
    expect(s.betas[999]).toBeCloseTo(1, 12);
    // the rescaled sqrt(alpha-bar) is an affine map of the original one
    const b = make_betas({ num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear' });
    const r = rescale_zero_terminal_snr(b);
    const sq = (a: Float64Array, i: number): number => Math.sqrt(a[i]!);
    const ratio = (sq(s.alphas_cumprod, 500) - 0) / (sq(plain.alphas_cumprod, 500) - sq(plain.alphas_cumprod, 999));
    const ratio0 = sq(s.alphas_cumprod, 0) / (sq(plain.alphas_cumprod, 0) - sq(plain.alphas_cumprod, 999));
    expect(ratio).toBeCloseTo(ratio0, 12);
    expect(r[999]).toBeCloseTo(1, 12);
  });

  it('rejects unknown schedules and bad config values', () => {
    expect(() => new DDIMScheduler({ beta_schedule: 'cosine' as never })).toThrow(/beta_schedule/);
    expect(() => DDIMScheduler.from_config({ prediction_type: 'x0' })).toThrow(/prediction_type/);
    expect(() => DDIMScheduler.from_config({ clip_sample: 'no' })).toThrow(/clip_sample/);
    expect(() => DDIMScheduler.from_config({ steps_offset: 0.5 })).toThrow(/steps_offset/);
  });
});
