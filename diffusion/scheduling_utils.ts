// What DDPM and DDIM share: the schedule arrays, timestep spacing, forward noising (add_noise,
// get_velocity), the x0 estimate per prediction type, clipping, and the config round trip.
import { add, maximum, minimum, mul, neg, sub, div, tensor, Tensor, type Generator } from '../core/index.js';
import { cumprod, make_betas, rescale_zero_terminal_snr } from './betas.js';
import { config_to_json, type PredictionType, type SchedulerConfig, type SchedulerConfigJSON, type TimestepSpacing } from './config.js';

/** One timestep per batch element (a 1-D tensor or array), or one for the whole batch. */
export type Timesteps = Tensor | readonly number[] | number;

/** What step() returns (diffusers' DDIMSchedulerOutput / DDPMSchedulerOutput). */
export interface SchedulerOutput {
  prev_sample: Tensor;
  /** The model's estimate of the clean sample x0 at this step (after clipping). */
  pred_original_sample: Tensor;
}

export interface SchedulerStepOptions {
  /** Source of the step's noise (DDPM, DDIM with eta > 0); the default generator otherwise. */
  generator?: Generator;
  /** Use this noise instead of drawing it. */
  variance_noise?: Tensor;
}

/** numpy's round(): halves go to the even neighbour. Timestep spacing goes through numpy in diffusers. */
export function round_half_even(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Inference timesteps, high to low, for a spacing (diffusers' set_timesteps of DDPM and DDIM). */
export function spaced_timesteps(num_train_timesteps: number, num_inference_steps: number, spacing: TimestepSpacing, steps_offset: number): number[] {
  const N = num_train_timesteps;
  const n = num_inference_steps;
  if (!Number.isInteger(n) || n < 1) throw new Error(`num_inference_steps must be a positive integer, got ${n}`);
  if (n > N) throw new Error(`num_inference_steps (${n}) cannot exceed num_train_timesteps (${N}): the schedule has no finer grid`);
  switch (spacing) {
    case 'leading': {
      // integer stride from 0; the top of the schedule (t > (n-1) * stride + offset) is never visited
      const ratio = Math.floor(N / n);
      return Array.from({ length: n }, (_, i) => (n - 1 - i) * ratio + steps_offset);
    }
    case 'trailing': {
      // fractional stride down from N, so the first step is t = N - 1 (needed for zero-SNR schedules)
      // numpy.arange(N, 0, -ratio): length ceil(N / ratio), values N + i * ((N - ratio) - N)
      const ratio = N / n;
      const count = Math.ceil(N / ratio);
      const delta = N - ratio - N;
      return Array.from({ length: count }, (_, i) => round_half_even(N + i * delta) - 1);
    }
    case 'linspace': {
      // numpy.linspace(0, N - 1, n): i * step, the last point exactly N - 1
      const step = n === 1 ? 0 : (N - 1) / (n - 1);
      return Array.from({ length: n }, (_, j) => (j === 0 && n > 1 ? N - 1 : round_half_even((n - 1 - j) * step)));
    }
    default: {
      const never: never = spacing;
      throw new Error(`timestep_spacing ${String(never)} is not supported`);
    }
  }
}

function checkTimestep(t: number, N: number): number {
  if (!Number.isInteger(t) || t < 0 || t >= N) throw new RangeError(`timestep ${t} is not an integer in [0, ${N})`);
  return t;
}

/** A single timestep from a number or a one-element tensor. */
export function timestep_value(t: number | Tensor, N: number): number {
  return checkTimestep(t instanceof Tensor ? t.item() : t, N);
}

/**
 * A (T, 1, ..., 1) coefficient tensor f(t_i) with the sample's rank and dtype, so it broadcasts
 * over each batch element (T = batch) or the whole batch (T = 1 or a scalar timestep).
 */
function per_sample(sample: Tensor, timesteps: Timesteps, N: number, f: (t: number) => number): Tensor {
  const scalar = typeof timesteps === 'number' || (timesteps instanceof Tensor && timesteps.ndim === 0);
  const ts = typeof timesteps === 'number' ? [timesteps] : Array.from(timesteps instanceof Tensor ? timesteps.data : timesteps);
  if (!scalar && timesteps instanceof Tensor && timesteps.ndim !== 1) throw new Error(`timesteps must be 0-d or 1-d, got shape [${timesteps.shape.join(', ')}]`);
  if (ts.length !== 1 && ts.length !== sample.shape[0]) throw new Error(`${ts.length} timesteps for a batch of ${sample.shape[0]}`);
  const shape = scalar ? [] : [ts.length, ...new Array<number>(Math.max(0, sample.ndim - 1)).fill(1)];
  return tensor(Float64Array.from(ts, (t) => f(checkTimestep(t, N))), { dtype: sample.dtype, shape });
}

export abstract class SchedulerBase<C extends SchedulerConfig> {
  readonly config: Readonly<C>;
  readonly betas: Float64Array;
  readonly alphas: Float64Array;
  readonly alphas_cumprod: Float64Array;
  /** Standard deviation of the initial noise; 1 for DDPM/DDIM (diffusers' name). */
  readonly init_noise_sigma = 1.0;
  /** Model evaluations per step (1: one UNet call per timestep). */
  readonly order = 1;
  num_inference_steps: number | null = null;
  /** Current timesteps, high to low: all N before set_timesteps. */
  timesteps: number[];

  protected constructor(config: Readonly<C>) {
    this.config = config;
    let betas = make_betas(config);
    if (config.rescale_betas_zero_snr) betas = rescale_zero_terminal_snr(betas);
    this.betas = betas;
    this.alphas = betas.map((b) => 1 - b);
    this.alphas_cumprod = cumprod(this.alphas);
    this.timesteps = Array.from({ length: config.num_train_timesteps }, (_, i) => config.num_train_timesteps - 1 - i);
  }

  /** diffusers' `_class_name`. */
  abstract get class_name(): string;

  abstract step(model_output: Tensor, timestep: number | Tensor, sample: Tensor, opts?: SchedulerStepOptions): SchedulerOutput;

  set_timesteps(num_inference_steps: number): void {
    const c = this.config;
    this.timesteps = spaced_timesteps(c.num_train_timesteps, num_inference_steps, c.timestep_spacing, c.steps_offset);
    this.num_inference_steps = num_inference_steps;
  }

  /** DDPM and DDIM do not rescale the model input (Euler-type schedulers do). */
  scale_model_input(sample: Tensor, _timestep?: number | Tensor): Tensor {
    return sample;
  }

  /** Forward process q(x_t | x_0): sqrt(abar_t) x0 + sqrt(1 - abar_t) eps. Differentiable in both tensors. */
  add_noise(original_samples: Tensor, noise: Tensor, timesteps: Timesteps): Tensor {
    const ac = this.alphas_cumprod;
    const N = this.config.num_train_timesteps;
    const a = per_sample(original_samples, timesteps, N, (t) => Math.sqrt(ac[t]!));
    const s = per_sample(original_samples, timesteps, N, (t) => Math.sqrt(1 - ac[t]!));
    return add(mul(a, original_samples), mul(s, noise));
  }

  /** v-prediction target (Salimans & Ho 2022): sqrt(abar_t) eps - sqrt(1 - abar_t) x0. */
  get_velocity(sample: Tensor, noise: Tensor, timesteps: Timesteps): Tensor {
    const ac = this.alphas_cumprod;
    const N = this.config.num_train_timesteps;
    const a = per_sample(sample, timesteps, N, (t) => Math.sqrt(ac[t]!));
    const s = per_sample(sample, timesteps, N, (t) => Math.sqrt(1 - ac[t]!));
    return sub(mul(a, noise), mul(s, sample));
  }

  /** The model's noise estimate at x_t, whatever it predicts (what `step` uses; the word probes compare models of either type by it). */
  epsilon_of(model_output: Tensor, sample: Tensor, timestep: number): Tensor {
    return this.predict(model_output, sample, this.alphas_cumprod[timestep_value(timestep, this.config.num_train_timesteps)]!).eps;
  }

  /** x0 and eps recovered from the model output at x_t, for each prediction type. */
  protected predict(model_output: Tensor, sample: Tensor, alpha_prod_t: number): { x0: Tensor; eps: Tensor } {
    const sa = Math.sqrt(alpha_prod_t);
    const sb = Math.sqrt(1 - alpha_prod_t);
    const type: PredictionType = this.config.prediction_type;
    switch (type) {
      case 'epsilon':
        return { x0: div(sub(sample, mul(model_output, sb)), sa), eps: model_output };
      case 'sample':
        return { x0: model_output, eps: div(sub(sample, mul(model_output, sa)), sb) };
      case 'v_prediction':
        return { x0: sub(mul(sample, sa), mul(model_output, sb)), eps: add(mul(model_output, sa), mul(sample, sb)) };
      default: {
        const never: never = type;
        throw new Error(`prediction_type ${String(never)} is not supported`);
      }
    }
  }

  /** Dynamic thresholding when configured, else clip_sample, else unchanged. */
  protected clip_x0(x0: Tensor): Tensor {
    const c = this.config;
    if (c.thresholding) return threshold_sample(x0, c.dynamic_thresholding_ratio, c.sample_max_value);
    if (c.clip_sample) return x0.clamp(-c.clip_sample_range, c.clip_sample_range);
    return x0;
  }

  /** scheduler_config.json content (what diffusers' save_config writes). */
  save_config(): SchedulerConfigJSON {
    return config_to_json(this.class_name, this.config);
  }

  to_json_string(): string {
    return `${JSON.stringify(this.save_config(), null, 2)}\n`;
  }
}

/** torch.quantile's linear interpolation on sorted values. */
function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Imagen's dynamic thresholding: per sample, s = the `ratio` quantile of |x0| clamped to
 * [1, max_value]; x0 is clamped to [-s, s] and divided by s. s is a constant (no gradient).
 */
export function threshold_sample(x0: Tensor, ratio: number, max_value: number): Tensor {
  const b = x0.shape[0] ?? 1;
  const per = x0.size / b;
  const d = x0.data;
  const s = new Float64Array(b);
  for (let i = 0; i < b; i++) {
    const abs = Float64Array.from(d.subarray(i * per, (i + 1) * per), Math.abs).sort();
    s[i] = Math.min(Math.max(quantile(abs, ratio), 1), max_value);
  }
  const st = tensor(s, { dtype: x0.dtype, shape: [b, ...new Array<number>(Math.max(0, x0.ndim - 1)).fill(1)] });
  return div(maximum(minimum(x0, st), neg(st)), st);
}
