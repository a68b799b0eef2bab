// Model folders as a user may be handed them (issue 15): a missing component, a truncated weights
// file, a config of another architecture, a model_index.json naming other classes or paths, a
// scheduler config the samplers refuse, a tokenizer padding past its encoder, a tokenizer without
// the placeholders a prompt names. `bas generate` and `bas train` give one line naming the file,
// exit 2, and write nothing.
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { cliSuite, expectRejected } from '../helpers/cli.js';
import { trainArgv } from '../helpers/tiny_model.js';

const suite = cliSuite('bas-model-inputs');
const { tmp } = suite;

/** A copy of the good model, broken by `breakIt`, and an empty folder for the outputs. */
function broken(breakIt: (dir: string) => void): { model: string; outDir: string } {
  const model = tmp.fresh('broken');
  cpSync(suite.model(), model, { recursive: true });
  breakIt(model);
  const outDir = tmp.fresh('out');
  mkdirSync(outDir);
  return { model, outDir };
}

function editJson(file: string, edit: (o: Record<string, unknown>) => void): void {
  const o = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(o);
  writeFileSync(file, JSON.stringify(o));
}

async function generateRejects(breakIt: (dir: string) => void, culprits: (model: string) => string[], prompt = 'a photo'): Promise<void> {
  const { model, outDir } = broken(breakIt);
  await expectRejected(suite.out(), ['generate', '--model_path', model, '--prompt', prompt, '--output_path', join(outDir, 'x.png'), '--num_inference_steps', '1'], culprits(model), [outDir]);
}

describe('bas generate with a broken model folder', () => {
  it('a missing component: its config, its weights, its whole folder', async () => {
    await generateRejects((d) => rmSync(join(d, 'unet', 'config.json')), (m) => [`unet config not found: ${join(m, 'unet', 'config.json')}`]);
    await generateRejects((d) => rmSync(join(d, 'text_encoder', 'model.safetensors')), (m) => [`text encoder weights not found: ${join(m, 'text_encoder', 'model.safetensors')}`]);
    await generateRejects((d) => rmSync(join(d, 'tokenizer'), { recursive: true }), (m) => [`tokenizer folder not found: ${join(m, 'tokenizer')}`]);
    await generateRejects((d) => rmSync(join(d, 'scheduler'), { recursive: true }), (m) => [`scheduler config not found: ${join(m, 'scheduler', 'scheduler_config.json')}`]);
  });

  it('a truncated or corrupt safetensors file', async () => {
    const unet = (d: string): string => join(d, 'unet', 'diffusion_pytorch_model.safetensors');
    await generateRejects((d) => truncateSync(unet(d), statSync(unet(d)).size - 1000), (m) => [`safetensors ${unet(m)}:`, 'file truncated?']);
    await generateRejects((d) => truncateSync(unet(d), 5), (m) => [`safetensors ${unet(m)}: file is truncated: 5 bytes`]);
    await generateRejects((d) => writeFileSync(unet(d), Buffer.from('{"not": "safetensors"}')), (m) => [`safetensors ${unet(m)}: header length`]);
  });

  it('a config of another architecture: a VAE config, or a UNet of other widths', async () => {
    await generateRejects(
      (d) => writeFileSync(join(d, 'unet', 'config.json'), JSON.stringify({ _class_name: 'AutoencoderKL', in_channels: 3, latent_channels: 4 })),
      (m) => [`cannot build the unet from ${join(m, 'unet', 'config.json')}`, 'unknown config keys latent_channels'],
    );
    await generateRejects(
      (d) => editJson(join(d, 'unet', 'config.json'), (o) => void (o['block_out_channels'] = [16, 32])),
      (m) => [`${join(m, 'unet', 'diffusion_pytorch_model.safetensors')} does not fit the unet of ${join(m, 'unet', 'config.json')}`, 'conv_in.weight (expected [16, 3, 3, 3], got [8, 3, 3, 3])'],
    );
  });

  it('a model_index.json naming another class, or a component that is a path', async () => {
    await generateRejects(
      (d) => editJson(join(d, 'model_index.json'), (o) => void (o['unet'] = ['diffusers', 'UNet2DModel'])),
      (m) => [`${join(m, 'model_index.json')} gives the unet as "UNet2DModel"; this project loads a UNet2DConditionModel`],
    );
    await generateRejects(
      (d) => editJson(join(d, 'model_index.json'), (o) => void (o['../outside'] = ['diffusers', 'UNet2DConditionModel'])),
      (m) => [`${join(m, 'model_index.json')} names a component "../outside", which is not a folder name inside the model`],
    );
  });

  it('a scheduler config the samplers refuse, and a tokenizer padding past the encoder (no huge allocation)', async () => {
    await generateRejects(
      (d) => editJson(join(d, 'scheduler', 'scheduler_config.json'), (o) => void (o['num_train_timesteps'] = -5)),
      (m) => [`${join(m, 'scheduler', 'scheduler_config.json')}: DDIMScheduler: num_train_timesteps must be positive, got -5`],
    );
    await generateRejects(
      (d) => editJson(join(d, 'tokenizer', 'tokenizer_config.json'), (o) => void (o['model_max_length'] = 1e9)),
      (m) => [`${join(m, 'tokenizer', 'tokenizer_config.json')}: model_max_length 1000000000 is more than the text encoder's 12 positions`],
    );
  });

  it('a tokenizer without the placeholder the prompt names', async () => {
    await generateRejects(() => undefined, (m) => [`the prompt uses <asset0>, which the model at ${m} does not have (it has: no added tokens)`], 'a photo of <asset0>');
  });
});

describe('bas train with a broken base model', () => {
  it('a truncated text encoder: one line naming the file, nothing written', async () => {
    const { model, outDir } = broken((d) => truncateSync(join(d, 'text_encoder', 'model.safetensors'), 3000));
    await expectRejected(suite.out(), ['train', ...trainArgv(model, suite.scene(), join(outDir, 'run'))], [`cannot load the model at ${model}`, `safetensors ${join(model, 'text_encoder', 'model.safetensors')}`], [outDir]);
  });
});
