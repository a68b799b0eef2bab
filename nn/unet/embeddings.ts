// SD's sinusoidal timestep features (diffusers' get_timestep_embedding / Timesteps) and the MLP
// that lifts them to the time embedding every ResnetBlock2D receives (TimestepEmbedding).
import { silu, tensor, type DType, type Tensor } from '../../core/index.js';
import { Linear } from '../layers/linear.js';
import { Module, type ModuleOptions } from '../module.js';

export interface TimestepEmbeddingFeatures {
  flip_sin_to_cos?: boolean;
  downscale_freq_shift?: number;
  scale?: number;
  max_period?: number;
}

/**
 * (N) timesteps -> (N, dim): freqs_k = exp(-ln(max_period) k / (half - shift)), k < half = dim/2;
 * [sin(t f), cos(t f)], or [cos, sin] when flipped; an odd dim gets a zero column. Computed in
 * float64 JS numbers and then cast, so float32 and float64 models see the same features.
 */
export function get_timestep_embedding(timesteps: readonly number[], dim: number, opts: TimestepEmbeddingFeatures & { dtype: DType }): Tensor {
  const half = Math.floor(dim / 2);
  const shift = opts.downscale_freq_shift ?? 1;
  const scale = opts.scale ?? 1;
  const maxPeriod = opts.max_period ?? 10000;
  const flip = opts.flip_sin_to_cos ?? false;
  const n = timesteps.length;
  const d = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < half; k++) {
      const arg = scale * timesteps[i]! * Math.exp((-Math.log(maxPeriod) * k) / (half - shift));
      const [first, second] = flip ? [Math.cos(arg), Math.sin(arg)] : [Math.sin(arg), Math.cos(arg)];
      d[i * dim + k] = first;
      d[i * dim + half + k] = second;
    }
  }
  return tensor(d, { dtype: opts.dtype, shape: [n, dim] });
}

/** diffusers' Timesteps module (no parameters). */
export class Timesteps extends Module {
  constructor(
    readonly num_channels: number,
    readonly flip_sin_to_cos: boolean,
    readonly downscale_freq_shift: number,
  ) {
    super();
  }

  forward(timesteps: readonly number[], dtype: DType): Tensor {
    return get_timestep_embedding(timesteps, this.num_channels, {
      flip_sin_to_cos: this.flip_sin_to_cos,
      downscale_freq_shift: this.downscale_freq_shift,
      dtype,
    });
  }
}

/** linear_1 -> SiLU -> linear_2. */
export class TimestepEmbedding extends Module {
  readonly linear_1: Linear;
  readonly linear_2: Linear;

  constructor(in_channels: number, time_embed_dim: number, opts: ModuleOptions & { out_dim?: number } = {}) {
    super();
    this.linear_1 = this.add_module('linear_1', new Linear(in_channels, time_embed_dim, opts));
    this.linear_2 = this.add_module('linear_2', new Linear(time_embed_dim, opts.out_dim ?? time_embed_dim, opts));
  }

  forward(sample: Tensor): Tensor {
    return this.linear_2.forward(silu(this.linear_1.forward(sample)));
  }
}
