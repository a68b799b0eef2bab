// DDIM (Song et al. 2021, eq. 12): x_{t-1} = sqrt(abar_prev) x0_hat
//   + sqrt(1 - abar_prev - sigma_t^2) eps_hat + sigma_t z,  sigma_t = eta * sqrt(variance(t, prev)).
// eta = 0 is deterministic; eta = 1 has DDPM's posterior variance.
import { add, default_generator, mul, sub, div, type Tensor } from '../core/index.js';
import { DDIM_SPEC, resolve_config, SCHEDULER_DEFAULTS, type DDIMSchedulerConfig } from './config.js';
import { SchedulerBase, timestep_value, type SchedulerOutput, type SchedulerStepOptions } from './scheduling_utils.js';

export interface DDIMStepOptions extends SchedulerStepOptions {
  /** Weight of the noise term; 0 (default) gives deterministic DDIM. */
  eta?: number;
  /** Recompute eps from the clipped x0 (as in GLIDE); only matters with clip_sample/thresholding. */
  use_clipped_model_output?: boolean;
}

export const DDIM_DEFAULTS: Readonly<DDIMSchedulerConfig> = Object.freeze({ ...SCHEDULER_DEFAULTS, set_alpha_to_one: true });

export class DDIMScheduler extends SchedulerBase<DDIMSchedulerConfig> {
  /** abar used when the previous timestep falls below 0 (after the last step). */
  readonly final_alpha_cumprod: number;

  constructor(config: Readonly<Partial<DDIMSchedulerConfig>> = {}) {
    super(resolve_config('DDIMScheduler', DDIM_SPEC, DDIM_DEFAULTS, config));
    this.final_alpha_cumprod = this.config.set_alpha_to_one ? 1.0 : this.alphas_cumprod[0]!;
  }

  /** From scheduler_config.json content (or another scheduler's config); unknown keys are ignored. */
  static from_config(config: Readonly<Record<string, unknown>>): DDIMScheduler {
    return new DDIMScheduler(config as Partial<DDIMSchedulerConfig>);
  }

  get class_name(): string {
    return 'DDIMScheduler';
  }

  private alpha_prod(t: number): number {
    return t >= 0 ? this.alphas_cumprod[t]! : this.final_alpha_cumprod;
  }

  /** sigma_t^2 / eta^2: the DDPM posterior variance between t and prev_timestep (eq. 16). */
  _get_variance(timestep: number, prev_timestep: number): number {
    const a_t = this.alpha_prod(timestep);
    const a_prev = this.alpha_prod(prev_timestep);
    return ((1 - a_prev) / (1 - a_t)) * (1 - a_t / a_prev);
  }

  step(model_output: Tensor, timestep: number | Tensor, sample: Tensor, opts: DDIMStepOptions = {}): SchedulerOutput {
    const n = this.num_inference_steps;
    if (n === null) throw new Error('DDIMScheduler.step: call set_timesteps(num_inference_steps) first');
    const N = this.config.num_train_timesteps;
    const t = timestep_value(timestep, N);
    // a fixed stride, as diffusers' DDIM does (also with trailing/linspace spacing)
    const prev_t = t - Math.floor(N / n);
    const a_t = this.alpha_prod(t);
    const a_prev = this.alpha_prod(prev_t);
    const eta = opts.eta ?? 0;

    const predicted = this.predict(model_output, sample, a_t);
    const x0 = this.clip_x0(predicted.x0);
    const eps = opts.use_clipped_model_output ? div(sub(sample, mul(x0, Math.sqrt(a_t))), Math.sqrt(1 - a_t)) : predicted.eps;

    const std_dev_t = eta * Math.sqrt(this._get_variance(t, prev_t));
    // rounding can push 1 - a_prev - sigma^2 a hair below 0 at eta = 1
    const dir = Math.sqrt(Math.max(0, 1 - a_prev - std_dev_t * std_dev_t));
    let prev_sample = add(mul(x0, Math.sqrt(a_prev)), mul(eps, dir));
    if (eta > 0) {
      if (opts.variance_noise && opts.generator) throw new Error('DDIMScheduler.step: pass either generator or variance_noise, not both');
      const noise = opts.variance_noise ?? (opts.generator ?? default_generator).randn(model_output.shape, { dtype: model_output.dtype });
      prev_sample = add(prev_sample, mul(noise, std_dev_t));
    }
    return { prev_sample, pred_original_sample: x0 };
  }
}
