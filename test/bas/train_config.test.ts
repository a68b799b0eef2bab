// Configurations as data: trainConfig and pretrainConfig give the defaults the CLI's flag tables
// show, reject a bad value by naming its field (which the CLI words as its flag), and the eval's
// ablation variants are valid overrides.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../bas/errors.js';
import { SHIPPED_MODEL_DEFAULTS, TRAIN_DEFAULTS, trainConfig, usesShippedModel, type TrainConfig } from '../../bas/train/config.js';
import { shippedBaseModel } from '../../bas/model.js';
import { parseFlags } from '../../cli/args.js';
import { main } from '../../cli/main.js';
import { TRAIN_FLAGS } from '../../cli/train.js';
import { VARIANTS } from '../../lab/eval/break_a_scene.js';
import { PRETRAIN_DEFAULTS, pretrainConfig, type PretrainConfig } from '../../lab/pretrain/config.js';

afterEach(() => vi.restoreAllMocks());

/** The InputError `f` throws, worded by the library and by the CLI. */
function rejection(f: () => unknown): { library: string; cli: string } {
  try {
    f();
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return { library: e.message, cli: e.render((n) => `--${n}`) };
  }
  throw new Error('expected an InputError');
}

describe('trainConfig', () => {
  it('is the defaults of `bas train --help` plus the overrides, and undefined keeps a default', () => {
    // no base model named: the shipped one, with the recipe measured for it
    expect(usesShippedModel(undefined)).toBe(true);
    const c = trainConfig({ instance_data_dir: 'scene', seed: 3, resolution: undefined });
    expect(c).toEqual({ ...TRAIN_DEFAULTS, ...SHIPPED_MODEL_DEFAULTS, instance_data_dir: 'scene', seed: 3 });
    const { help: _help, ...parsed } = parseFlags(['--instance_data_dir', 'scene', '--seed', '3'], TRAIN_FLAGS, 'train');
    expect(trainConfig(parsed as Partial<TrainConfig> & { instance_data_dir: string })).toEqual(c);
    // a fresh default list per config: one run's list cannot leak into another's
    c.initializer_tokens.push('red');
    expect(trainConfig({ instance_data_dir: 'scene' }).initializer_tokens).toEqual([]);
  });

  it("the shipped base model's recipe for its six fields; any other model the original's values; a given value wins", () => {
    const shipped = shippedBaseModel()!;
    for (const path of [undefined, shipped, `${shipped}/`]) {
      const c = trainConfig({ instance_data_dir: 's', pretrained_model_name_or_path: path });
      expect(c, String(path)).toMatchObject({ initial_learning_rate: 5e-3, learning_rate: 1e-4, class_prompt: '', num_class_images: 40, num_inference_steps: 25, guidance_scale: 4 });
    }
    const other = trainConfig({ instance_data_dir: 's', pretrained_model_name_or_path: 'outputs/my-model' });
    expect(other).toMatchObject({ initial_learning_rate: 5e-4, learning_rate: 2e-6, class_prompt: 'a photo at the beach', num_class_images: 100, num_inference_steps: 50, guidance_scale: 7.5 });
    expect(trainConfig({ instance_data_dir: 's', learning_rate: 3e-5, class_prompt: 'a photo' })).toMatchObject({ learning_rate: 3e-5, class_prompt: 'a photo', initial_learning_rate: 5e-3 });
    // `bas train --help` shows both defaults of each such flag
    for (const name of Object.keys(SHIPPED_MODEL_DEFAULTS)) {
      const spec = TRAIN_FLAGS[name as keyof typeof TRAIN_FLAGS];
      expect('default' in spec, name).toBe(false);
      expect(spec.help, name).toMatch(/with the shipped base model, measured for it; .* with any other, the original's Stable Diffusion value/);
    }
    expect(TRAIN_FLAGS.learning_rate.help).toContain('default 1e-4 with the shipped base model');
    expect(TRAIN_FLAGS.learning_rate.help).toContain('2e-6 with any other');
  });

  it('names the field at fault; the CLI names the flag', () => {
    expect(rejection(() => trainConfig({ instance_data_dir: 's', num_of_assets: 0 }))).toEqual({
      library: 'num_of_assets must be at least 1, got 0',
      cli: '--num_of_assets must be at least 1, got 0',
    });
    expect(rejection(() => trainConfig({ instance_data_dir: 's', phase2_train_steps: -1 })).library).toBe('phase2_train_steps must be >= 0, got -1');
    expect(rejection(() => trainConfig({ instance_data_dir: 's', lr_scheduler: 'step' as TrainConfig['lr_scheduler'] })).library).toMatch(/^lr_scheduler must be one of constant, .*got "step"/);
    expect(rejection(() => trainConfig({ instance_data_dir: 's', lr_num_cycles: 0 })).cli).toBe('--lr_num_cycles must be at least 1, got 0');
    expect(rejection(() => trainConfig({ instance_data_dir: 's', lr_power: -1 })).cli).toBe('--lr_power must be positive, got -1');
    expect(rejection(() => trainConfig({ instance_data_dir: 's', ...({ lamda_attention: 1 } as object) })).library).toBe('unknown training config field "lamda_attention"');
  });

  it('`bas train` reports a bad value as one line naming the flag', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.map(String).join(' ')));
    expect(await main(['train', '--instance_data_dir', 'nowhere', '--train_batch_size', '0'])).toBe(2);
    expect(errors).toEqual(['bas train: error: --train_batch_size must be at least 1, got 0']);
  });

  it('every eval variant is a valid override', () => {
    for (const [name, v] of Object.entries(VARIANTS)) expect(() => trainConfig({ instance_data_dir: 's', ...v }), name).not.toThrow();
    expect(trainConfig({ instance_data_dir: 's', ...VARIANTS['no masked loss'] }).do_not_apply_masked_loss).toBe(true);
  });
});

describe('pretrainConfig', () => {
  it('is the defaults of `bas pretrain --help` plus the overrides', () => {
    const c = pretrainConfig({ config: 'tiny', resolution: 32 });
    expect(c).toEqual({ ...PRETRAIN_DEFAULTS, textures: [...PRETRAIN_DEFAULTS.textures], config: 'tiny', resolution: 32 });
  });

  it('names the field at fault', () => {
    expect(rejection(() => pretrainConfig({ textures: ['plain', 'woven' as 'plain'] })).cli).toBe('--textures: unknown texture "woven" (known: plain, striped, checkered, dotted, textured)');
    expect(rejection(() => pretrainConfig({ prediction_type: 'sample' as PretrainConfig['prediction_type'] })).library).toBe('prediction_type must be one of epsilon, v_prediction, got "sample"');
    expect(rejection(() => pretrainConfig({ config: 'huge' as PretrainConfig['config'] })).library).toMatch(/^config must be one of .*tiny.*got "huge"/);
    expect(rejection(() => pretrainConfig({ text_encoder_name_or_path: 'a', pretrained_model_name_or_path: 'b' })).cli).toMatch(/^--text_encoder_name_or_path and --pretrained_model_name_or_path: /);
    expect(rejection(() => pretrainConfig({ placement_jitter: 2 })).cli).toBe('--placement_jitter moves the centred object, so it needs --placement centre (got anywhere)');
    expect(rejection(() => pretrainConfig({ placement: 'centre', placement_jitter: -1 })).cli).toMatch(/^--placement_jitter /);
    expect(() => pretrainConfig({ placement: 'centre', placement_jitter: 2 })).not.toThrow();
  });
});
