import { describe, expect, it } from 'vitest';
import { DDIMScheduler, DDPMScheduler, SD_SCHEDULER_CONFIG, scheduler_from_config, type SchedulerConfigJSON } from '../../diffusion/index.js';

describe('scheduler configs', () => {
  it('defaults mirror diffusers (linear 1e-4..0.02, clip_sample, set_alpha_to_one, leading, offset 0)', () => {
    const c = new DDIMScheduler().config;
    expect(c).toMatchObject({
      num_train_timesteps: 1000,
      beta_start: 0.0001,
      beta_end: 0.02,
      beta_schedule: 'linear',
      trained_betas: null,
      prediction_type: 'epsilon',
      clip_sample: true,
      clip_sample_range: 1,
      set_alpha_to_one: true,
      steps_offset: 0,
      thresholding: false,
      timestep_spacing: 'leading',
      rescale_betas_zero_snr: false,
    });
    expect(new DDPMScheduler().config.variance_type).toBe('fixed_small');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('save_config writes _class_name and every key, sorted; to_json_string round-trips', () => {
    const s = new DDIMScheduler(SD_SCHEDULER_CONFIG);
    const json = s.save_config();
    expect(json._class_name).toBe('DDIMScheduler');
    expect(Object.keys(json)[0]).toBe('_class_name');
    const keys = Object.keys(json).slice(1);
    expect(keys).toEqual([...keys].sort());
    expect(keys).toEqual(Object.keys(s.config).sort());
    const text = s.to_json_string();
    expect(text.endsWith('}\n')).toBe(true);
    const back = DDIMScheduler.from_config(JSON.parse(text) as Record<string, unknown>);
    expect(back.config).toEqual(s.config);
    expect([...back.alphas_cumprod]).toEqual([...s.alphas_cumprod]);
  });

  it("reads diffusers' Stable Diffusion scheduler_config.json (another class's keys ignored)", () => {
    // as saved with SD 2.1-base (a PNDMScheduler config with its own keys)
    const file: SchedulerConfigJSON = {
      _class_name: 'PNDMScheduler',
      _diffusers_version: '0.10.0.dev0',
      beta_end: 0.012,
      beta_schedule: 'scaled_linear',
      beta_start: 0.00085,
      clip_sample: false,
      num_train_timesteps: 1000,
      prediction_type: 'epsilon',
      set_alpha_to_one: false,
      skip_prk_steps: true,
      steps_offset: 1,
      trained_betas: null,
    };
    const s = DDIMScheduler.from_config(file);
    expect(s.config).toMatchObject(SD_SCHEDULER_CONFIG);
    expect('skip_prk_steps' in s.config).toBe(false);
    s.set_timesteps(50);
    expect(s.timesteps[0]).toBe(981);
    // DDPM from the DDIM config: set_alpha_to_one is not one of its keys
    const d = DDPMScheduler.from_config(s.save_config());
    expect('set_alpha_to_one' in d.config).toBe(false);
    expect(d.config.beta_schedule).toBe('scaled_linear');
  });

  it('scheduler_from_config picks the class by _class_name', () => {
    const ddim = scheduler_from_config(new DDIMScheduler(SD_SCHEDULER_CONFIG).save_config());
    expect(ddim).toBeInstanceOf(DDIMScheduler);
    const ddpm = scheduler_from_config({ _class_name: 'DDPMScheduler', variance_type: 'fixed_large' });
    expect(ddpm).toBeInstanceOf(DDPMScheduler);
    expect((ddpm as DDPMScheduler).config.variance_type).toBe('fixed_large');
    expect(() => scheduler_from_config({ _class_name: 'EulerDiscreteScheduler' })).toThrow(/unsupported/);
  });

  it('copies arrays in and out, so configs cannot be changed from outside', () => {
    const betas = [0.1, 0.2];
    const s = new DDPMScheduler({ num_train_timesteps: 2, trained_betas: betas });
    betas[0] = 0.9;
    expect(s.config.trained_betas).toEqual([0.1, 0.2]);
    const json = s.save_config();
    (json.trained_betas as number[])[0] = 0.5;
    expect(s.config.trained_betas).toEqual([0.1, 0.2]);
  });
});
