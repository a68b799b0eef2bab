// Scheduler configs as plain data with diffusers' keys, so a scheduler/scheduler_config.json reads
// the same here and there. Values are checked at runtime: configs arrive from JSON files.
import type { BetaSchedule } from './betas.js';

export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';
export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';
export type VarianceType = 'fixed_small' | 'fixed_small_log' | 'fixed_large';

/** The keys DDPMScheduler and DDIMScheduler share. */
export interface SchedulerConfig {
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: BetaSchedule;
  /** Explicit betas; overrides beta_schedule when set. */
  trained_betas: number[] | null;
  prediction_type: PredictionType;
  clip_sample: boolean;
  clip_sample_range: number;
  /** Dynamic thresholding (Imagen); takes precedence over clip_sample. */
  thresholding: boolean;
  dynamic_thresholding_ratio: number;
  sample_max_value: number;
  timestep_spacing: TimestepSpacing;
  steps_offset: number;
  rescale_betas_zero_snr: boolean;
}

export interface DDIMSchedulerConfig extends SchedulerConfig {
  /** true: the step past t = 0 lands on alpha_bar = 1; false: on alphas_cumprod[0] (SD's choice). */
  set_alpha_to_one: boolean;
}

export interface DDPMSchedulerConfig extends SchedulerConfig {
  variance_type: VarianceType;
}

/** The content of a scheduler_config.json: the config plus the class that wrote it. */
export type SchedulerConfigJSON = { _class_name: string } & Record<string, unknown>;

/** diffusers' constructor defaults (DDPM-paper linear betas); SD's values are in SD_SCHEDULER_CONFIG. */
export const SCHEDULER_DEFAULTS: Readonly<SchedulerConfig> = Object.freeze({
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  prediction_type: 'epsilon',
  clip_sample: true,
  clip_sample_range: 1.0,
  thresholding: false,
  dynamic_thresholding_ratio: 0.995,
  sample_max_value: 1.0,
  timestep_spacing: 'leading',
  steps_offset: 0,
  rescale_betas_zero_snr: false,
});

/**
 * Stable Diffusion's saved scheduler config (the keys it sets; the rest stay default). The
 * original Break-A-Scene builds its validation DDIMScheduler by hand with the same values but
 * steps_offset 0.
 */
export const SD_SCHEDULER_CONFIG: Readonly<Partial<DDIMSchedulerConfig>> = Object.freeze({
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  prediction_type: 'epsilon',
  clip_sample: false,
  set_alpha_to_one: false,
  steps_offset: 1,
});

type FieldKind = 'number' | 'integer' | 'boolean' | 'number[]|null' | readonly string[];
export type ConfigSpec<C> = { readonly [K in keyof C]-?: FieldKind };

const COMMON_SPEC: ConfigSpec<SchedulerConfig> = {
  num_train_timesteps: 'integer',
  beta_start: 'number',
  beta_end: 'number',
  beta_schedule: ['linear', 'scaled_linear', 'squaredcos_cap_v2'],
  trained_betas: 'number[]|null',
  prediction_type: ['epsilon', 'v_prediction', 'sample'],
  clip_sample: 'boolean',
  clip_sample_range: 'number',
  thresholding: 'boolean',
  dynamic_thresholding_ratio: 'number',
  sample_max_value: 'number',
  timestep_spacing: ['leading', 'trailing', 'linspace'],
  steps_offset: 'integer',
  rescale_betas_zero_snr: 'boolean',
};

export const DDIM_SPEC: ConfigSpec<DDIMSchedulerConfig> = { ...COMMON_SPEC, set_alpha_to_one: 'boolean' };
export const DDPM_SPEC: ConfigSpec<DDPMSchedulerConfig> = { ...COMMON_SPEC, variance_type: ['fixed_small', 'fixed_small_log', 'fixed_large'] };

function checkField(cls: string, key: string, kind: FieldKind, v: unknown): void {
  const bad = (want: string): Error => new Error(`${cls}: config key "${key}" must be ${want}, got ${JSON.stringify(v)}`);
  if (Array.isArray(kind)) {
    if (typeof v !== 'string' || !kind.includes(v)) throw bad(`one of ${kind.map((s) => `'${s}'`).join(', ')}`);
  } else if (kind === 'number') {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('a finite number');
  } else if (kind === 'integer') {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw bad('an integer');
  } else if (kind === 'boolean') {
    if (typeof v !== 'boolean') throw bad('a boolean');
  } else if (v !== null && !(Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x)))) {
    throw bad('null or an array of numbers');
  }
}

/**
 * Defaults overlaid with the known keys of `input`, each checked. Unknown keys (`_class_name`,
 * `_diffusers_version`, another scheduler's options) are ignored, as diffusers' from_config does,
 * so one class can load another's config.
 */
export function resolve_config<C extends object>(cls: string, spec: ConfigSpec<C>, defaults: Readonly<C>, input: Readonly<Record<string, unknown>>): Readonly<C> {
  const out: Record<string, unknown> = { ...defaults };
  for (const key of Object.keys(spec)) {
    const v = input[key];
    if (v === undefined) continue;
    checkField(cls, key, spec[key as keyof C], v);
    out[key] = Array.isArray(v) ? Object.freeze([...(v as number[])]) : v;
  }
  const c = out as C & SchedulerConfig;
  if (!(c.num_train_timesteps > 0)) throw new Error(`${cls}: num_train_timesteps must be positive, got ${c.num_train_timesteps}`);
  if (c.trained_betas && c.trained_betas.length !== c.num_train_timesteps) {
    throw new Error(`${cls}: trained_betas has ${c.trained_betas.length} entries for num_train_timesteps ${c.num_train_timesteps}`);
  }
  return Object.freeze(out) as Readonly<C>;
}

/** scheduler_config.json content: `_class_name` first, then the keys sorted, as diffusers writes them. */
export function config_to_json(cls: string, config: object): SchedulerConfigJSON {
  const entries = Object.entries(config).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { _class_name: cls, ...Object.fromEntries(entries.map(([k, v]) => [k, Array.isArray(v) ? [...(v as unknown[])] : v])) };
}
