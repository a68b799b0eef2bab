// Noise schedules as plain float64 arrays. Computed once per scheduler on the host, where float64
// costs nothing; the per-step coefficients are read from them as JS numbers.

export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
export type AlphaTransformType = 'cosine' | 'exp';

/** n points from start to end inclusive (torch.linspace), in float64. */
export function linspace64(start: number, end: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = n === 1 ? start : start + ((end - start) * i) / (n - 1);
  return out;
}

/**
 * Betas of a continuous alpha-bar curve: beta_i = min(1 - abar((i+1)/N) / abar(i/N), max_beta).
 * The cap keeps the last betas below 1 where the cosine curve reaches 0 (Nichol & Dhariwal).
 */
export function betas_for_alpha_bar(num_diffusion_timesteps: number, max_beta = 0.999, alpha_transform_type: AlphaTransformType = 'cosine'): Float64Array {
  const alpha_bar =
    alpha_transform_type === 'cosine'
      ? (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2
      : (t: number): number => Math.exp(t * -12.0);
  const n = num_diffusion_timesteps;
  const betas = new Float64Array(n);
  for (let i = 0; i < n; i++) betas[i] = Math.min(1 - alpha_bar((i + 1) / n) / alpha_bar(i / n), max_beta);
  return betas;
}

/** The betas of a named schedule (diffusers' beta_schedule), or `trained_betas` when given. */
export function make_betas(opts: {
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: BetaSchedule;
  trained_betas?: readonly number[] | null;
}): Float64Array {
  if (opts.trained_betas) return Float64Array.from(opts.trained_betas);
  const n = opts.num_train_timesteps;
  switch (opts.beta_schedule) {
    case 'linear':
      return linspace64(opts.beta_start, opts.beta_end, n);
    case 'scaled_linear': {
      // linear in sqrt(beta): Stable Diffusion's schedule
      const s = linspace64(Math.sqrt(opts.beta_start), Math.sqrt(opts.beta_end), n);
      return s.map((v) => v * v);
    }
    case 'squaredcos_cap_v2':
      return betas_for_alpha_bar(n);
    default: {
      const never: never = opts.beta_schedule;
      throw new Error(`beta_schedule ${String(never)} is not implemented`);
    }
  }
}

export function cumprod(xs: Float64Array): Float64Array {
  const out = new Float64Array(xs.length);
  let p = 1;
  for (let i = 0; i < xs.length; i++) out[i] = p *= xs[i]!;
  return out;
}

/**
 * Rescales betas so the last timestep has zero SNR (Lin et al. 2023, "Common Diffusion Noise
 * Schedules and Sample Steps are Flawed", Algorithm 1): shift sqrt(alpha_bar) so its last value is
 * 0, scale so its first value is unchanged, and turn it back into betas.
 */
export function rescale_zero_terminal_snr(betas: Float64Array): Float64Array {
  const n = betas.length;
  const abar_sqrt = cumprod(betas.map((b) => 1 - b)).map(Math.sqrt);
  const first = abar_sqrt[0]!;
  const last = abar_sqrt[n - 1]!;
  const scaled = abar_sqrt.map((v) => ((v - last) * first) / (first - last));
  const abar = scaled.map((v) => v * v);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = 1 - (i === 0 ? abar[0]! : abar[i]! / abar[i - 1]!);
  return out;
}
