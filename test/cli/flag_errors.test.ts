// Bad flags of `bas train`, `bas pretrain` and `bas make-scene` (issue 15): each one exit 2, one
// line naming the flag and the value, and nothing made under the case's folder (no output folder,
// not even an empty one). Paths with spaces and non-ASCII characters are legitimate and work.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { cliSuite, expectRejected, tree } from '../helpers/cli.js';
import { trainArgv, writeScene } from '../helpers/tiny_model.js';

const suite = cliSuite('bas-flags');
const { tmp, caseDir } = suite;

const train = async (extra: readonly string[], culprits: readonly string[]): Promise<string> => {
  const { parent, out } = caseDir();
  return expectRejected(suite.out(), ['train', ...trainArgv(suite.model(), suite.scene(), out, extra)], culprits, [parent, suite.scene()]);
};

describe('bas train: flags out of range', () => {
  it('--output_dir naming an existing file, or a folder under one', async () => {
    const { parent } = caseDir();
    const file = join(parent, 'notes.txt');
    writeFileSync(file, 'mine');
    await expectRejected(suite.out(), ['train', ...trainArgv(suite.model(), suite.scene(), file)], [`--output_dir ${file} is a file, not a folder`], [parent]);
    await expectRejected(suite.out(), ['train', ...trainArgv(suite.model(), suite.scene(), join(file, 'run'))], [`--output_dir ${join(file, 'run')}: ${file} is a file`], [parent]);
    await expectRejected(suite.out(), ['train', ...trainArgv(suite.model(), suite.scene(), join(parent, 'out')), '--class_data_dir', file], [`--class_data_dir ${file} is a file`], [parent]);
  });

  it('--output_dir holding another finished run: refused, the run untouched', async () => {
    const { parent, out } = caseDir();
    expect(await main(['train', ...trainArgv(suite.model(), suite.scene(), out, ['--phase1_train_steps', '1', '--phase2_train_steps', '0'])])).toBe(0);
    const line = await expectRejected(suite.out(), ['train', ...trainArgv(suite.model(), suite.scene(), out)], [`--output_dir ${out} already holds another run (model_index.json, metrics.jsonl)`], [parent]);
    expect(line).toContain('choose another --output_dir');
  });

  it('--resolution that the UNet cannot take (33, 31), 0 or negative: named, and no empty output folder left', async () => {
    // the tiny model halves its grid once: sides must be even
    await train(['--resolution', '33'], ['--resolution 33', 'multiples of 2', '32 or 34']);
    await train(['--resolution', '31'], ['--resolution 31', 'multiples of 2']);
    await train(['--resolution', '0'], ['--resolution 0']);
    await train(['--resolution=-8'], ['--resolution -8']);
  });

  it('negative --lambda_attention, learning rates, guidance and loss weights; betas outside [0, 1)', async () => {
    await train(['--lambda_attention=-1'], ['--lambda_attention must be >= 0, got -1']);
    await train(['--learning_rate=-1e-4'], ['--learning_rate must be >= 0, got -0.0001']);
    await train(['--initial_learning_rate=-5e-3'], ['--initial_learning_rate must be >= 0, got -0.005']);
    await train(['--guidance_scale=-1'], ['--guidance_scale must be >= 0, got -1']);
    await train(['--prior_loss_weight=-1'], ['--prior_loss_weight must be >= 0, got -1']);
    await train(['--max_grad_norm', '0'], ['--max_grad_norm must be > 0, got 0']);
    await train(['--adam_beta1', '1'], ['--adam_beta1 must be in [0, 1), got 1']);
  });

  it('--train_batch_size 0, negative or non-integer step counts, --num_inference_steps 0, non-numeric seeds', async () => {
    await train(['--train_batch_size', '0'], ['--train_batch_size must be at least 1, got 0']);
    await train(['--phase1_train_steps=-1'], ['--phase1_train_steps must be >= 0, got -1']);
    await train(['--phase2_train_steps', '2.5'], ['--phase2_train_steps expects an integer, got "2.5"']);
    await train(['--num_inference_steps', '0'], ['--num_inference_steps must be at least 1, got 0']);
    await train(['--checkpoints_total_limit', '0'], ['--checkpoints_total_limit must be at least 1, got 0']);
    await train(['--seed', 'abc'], ['--seed expects a number, got "abc"']);
    await train(['--seed', '1e400'], ['--seed expects a number, got "1e400"']);
  });
});

describe('bas train: validation, accumulation, cropping and attention-map flags', () => {
  it('step counts and image counts below 1, non-integers, and switches given a value', async () => {
    await train(['--gradient_accumulation_steps', '0'], ['--gradient_accumulation_steps must be at least 1, got 0']);
    await train(['--gradient_accumulation_steps', '1.5'], ['--gradient_accumulation_steps expects an integer, got "1.5"']);
    await train(['--validation_prompt', 'a photo of <asset0>', '--validation_steps', '0'], ['--validation_steps must be at least 1, got 0']);
    await train(['--num_validation_images=-2'], ['--num_validation_images must be at least 1, got -2']);
    await train(['--save_attention_maps', '--attention_maps_steps', '0'], ['--attention_maps_steps must be at least 1, got 0']);
    await train(['--center_crop=maybe'], ['--center_crop takes no value or true/false, got "maybe"']);
    await train(['--save_attention_maps=2'], ['--save_attention_maps takes no value or true/false, got "2"']);
  });

  it('--validation_prompt: missing, empty, naming a token the run does not learn, or losing one to truncation', async () => {
    await train(['--validation_prompt'], ['--validation_prompt needs at least one value']);
    await train(['--validation_prompt', 'a photo of <asset0>', '--validation_prompt', ' '], ['--validation_prompt 2 is empty']);
    await train(['--validation_prompt', 'a photo of <asset7>'], ['--validation_prompt "a photo of <asset7>" uses <asset7>, which this run does not have (it has: <asset0>, <asset1>, <asset2>)']);
    // the tiny tokenizer reads 12 tokens: <asset2> would fall off the end
    const long = 'a photo of a red circle and a blue square and <asset2>';
    await train(['--validation_prompt', long], [`--validation_prompt "${long}" is 14 tokens and the model reads 12: <asset2> would be cut off`]);
  });
});

describe('bas pretrain and bas make-scene: flags out of range', () => {
  const pretrain = async (extra: readonly string[], culprits: readonly string[]): Promise<void> => {
    const { parent, out } = caseDir();
    await expectRejected(suite.out(), ['pretrain', '--config', 'tiny', '--output_dir', out, '--max_train_steps', '1', '--train_batch_size', '2', ...extra], culprits, [parent]);
  };

  it('pretrain: an --output_dir that is a file, --train_batch_size 0, negative steps, rates and probabilities', async () => {
    const { parent } = caseDir();
    const file = join(parent, 'f');
    writeFileSync(file, '');
    await expectRejected(suite.out(), ['pretrain', '--config', 'tiny', '--output_dir', file], [`--output_dir ${file} is a file`], [parent]);
    await pretrain(['--train_batch_size', '0'], ['--train_batch_size must be at least 1, got 0']);
    await pretrain(['--max_train_steps=-1'], ['--max_train_steps must be >= 0, got -1']);
    await pretrain(['--learning_rate=-1'], ['--learning_rate must be >= 0, got -1']);
    await pretrain(['--uncond_prob', '1.5'], ['--uncond_prob must be in [0, 1], got 1.5']);
    await pretrain(['--min_objects', '2', '--max_objects', '1'], ['--max_objects 1 is below --min_objects 2']);
    await pretrain(['--resolution', '33'], ['--resolution', 'multiples of 32', '33']);
  });

  it('make-scene: an --output_dir that is a file', async () => {
    const { parent } = caseDir();
    const file = join(parent, 'f.png');
    writeFileSync(file, '');
    await expectRejected(suite.out(), ['make-scene', '--output_dir', file], [`--output_dir ${file} is a file`], [parent]);
  });
});

describe('paths with spaces and non-ASCII characters', () => {
  it('train and generate read and write them', async () => {
    const base = join(tmp.fresh('with space'), 'dossier été ü');
    const sceneDir = writeScene(join(base, 'scène 1'));
    const out = join(base, 'sortie à moi');
    expect(await main(['train', ...trainArgv(suite.model(), sceneDir, out, ['--phase1_train_steps', '1', '--phase2_train_steps', '1'])])).toBe(0);
    expect(suite.out().errors).toEqual([]);
    expect(existsSync(join(out, 'model_index.json'))).toBe(true);
    const img = join(base, 'images ñ', 'photo 1.png');
    expect(await main(['generate', '--model_path', out, '--prompt', 'a photo of <asset0>', '--output_path', img, '--num_inference_steps', '2'])).toBe(0);
    expect(suite.out().errors).toEqual([]);
    expect(tree(join(base, 'images ñ'))).toEqual(['photo 1.png']);
  });
});
