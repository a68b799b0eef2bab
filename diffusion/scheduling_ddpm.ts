// DDPM ancestral sampling (Ho et al. 2020): the mean of the posterior q(x_prev | x_t, x0_hat)
// (eq. 7) plus noise of its variance, with any stride between timesteps.
import { add, default_generator, mul, type Tensor } from '../core/index.js';
import { DDPM_SPEC, resolve_config, SCHEDULER_DEFAULTS, type DDPMSchedulerConfig } from './config.js';
import { SchedulerBase, timestep_value, type SchedulerOutput, type SchedulerStepOptions } from './scheduling_utils.js';

export const DDPM_DEFAULTS: Readonly<DDPMSchedulerConfig> = Object.freeze({ ...SCHEDULER_DEFAULTS, variance_type: 'fixed_small' });

export class DDPMScheduler extends SchedulerBase<DDPMSchedulerConfig> {
  constructor(config: Readonly<Partial<DDPMSchedulerConfig>> = {}) {
    super(resolve_config('DDPMScheduler', DDPM_SPEC, DDPM_DEFAULTS, config));
  }

  static from_config(config: Readonly<Record<string, unknown>>): DDPMScheduler {
    return new DDPMScheduler(config as Partial<DDPMSchedulerConfig>);
  }

  get class_name(): string {
    return 'DDPMScheduler';
  }

  /** The next timestep of the current schedule after t, or -1 after the last; t - 1 before set_timesteps. */
  previous_timestep(timestep: number): number {
    const n = this.num_inference_steps;
    if (n === null) return timestep - 1;
    const i = this.timesteps.indexOf(timestep);
    if (i < 0) return timestep - Math.floor(this.config.num_train_timesteps / n);
    return i === this.timesteps.length - 1 ? -1 : this.timesteps[i + 1]!;
  }

  private alpha_prod(t: number): number {
    return t >= 0 ? this.alphas_cumprod[t]! : 1.0;
  }

  /**
   * Variance of the step's noise. fixed_small: the posterior variance
   * beta~_t = (1 - abar_prev) / (1 - abar_t) * beta_t (floored at 1e-20, since it is 0 at t = 0);
   * fixed_large: beta_t. Here beta_t = 1 - abar_t / abar_prev spans the whole stride.
   */
  _get_variance(timestep: number): number {
    const a_t = this.alpha_prod(timestep);
    const a_prev = this.alpha_prod(this.previous_timestep(timestep));
    const beta_t = 1 - a_t / a_prev;
    switch (this.config.variance_type) {
      case 'fixed_small':
      case 'fixed_small_log': // diffusers takes exp(0.5 log v): the same standard deviation
        return Math.max(((1 - a_prev) / (1 - a_t)) * beta_t, 1e-20);
      case 'fixed_large':
        return beta_t;
      default: {
        const never: never = this.config.variance_type;
        throw new Error(`variance_type ${String(never)} is not supported`);
      }
    }
  }

  step(model_output: Tensor, timestep: number | Tensor, sample: Tensor, opts: SchedulerStepOptions = {}): SchedulerOutput {
    const t = timestep_value(timestep, this.config.num_train_timesteps);
    const prev_t = this.previous_timestep(t);
    const a_t = this.alpha_prod(t);
    const a_prev = this.alpha_prod(prev_t);
    const b_t = 1 - a_t;
    const b_prev = 1 - a_prev;
    const alpha_t = a_t / a_prev;
    const beta_t = 1 - alpha_t;

    const x0 = this.clip_x0(this.predict(model_output, sample, a_t).x0);
    // posterior mean: sqrt(abar_prev) beta_t / (1 - abar_t) x0 + sqrt(alpha_t) (1 - abar_prev) / (1 - abar_t) x_t
    const c_x0 = (Math.sqrt(a_prev) * beta_t) / b_t;
    const c_xt = (Math.sqrt(alpha_t) * b_prev) / b_t;
    let prev_sample = add(mul(x0, c_x0), mul(sample, c_xt));
    if (t > 0) {
      if (opts.variance_noise && opts.generator) throw new Error('DDPMScheduler.step: pass either generator or variance_noise, not both');
      const noise = opts.variance_noise ?? (opts.generator ?? default_generator).randn(model_output.shape, { dtype: model_output.dtype });
      prev_sample = add(prev_sample, mul(noise, Math.sqrt(this._get_variance(t))));
    }
    return { prev_sample, pred_original_sample: x0 };
  }
}
