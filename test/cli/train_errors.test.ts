// `bas train` on bad input: one clear error line naming the culprit, a non-zero exit, and no
// half-written output. "No half-written output" is checked as: the output folder's parent (a
// fresh, empty folder per case) is still empty afterwards -- no output folder, no temporary
// sibling -- or, for a resume, the existing output folder holds exactly the same files, byte for
// byte, as before the failed run.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { writePng } from '../../bas/io/png.js';
import { load_file, load_file_with_metadata, save_file } from '../../nn/safetensors.js';
import { listFiles, tempRoot, THREE_RECTS, trainArgv, writeScene, writeTinyModel } from '../helpers/tiny_model.js';

const tmp = tempRoot('bas-train-errors');
let model = '';
beforeAll(() => {
  model = writeTinyModel(tmp.fresh('model'));
});
afterAll(() => tmp.cleanup());

let errors: string[] = [];
beforeEach(() => {
  errors = [];
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.map(String).join(' ')));
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterEach(() => vi.restoreAllMocks());

/** A fresh empty parent folder and the (not yet existing) output folder inside it. */
function outputIn(): { parent: string; out: string } {
  const parent = tmp.fresh('case');
  mkdirSync(parent);
  return { parent, out: join(parent, 'out') };
}

/** Runs `bas train` expecting bad input: exit 2, one line naming every `culprits` string, nothing written. */
async function expectRejected(scene: string, extra: readonly string[], culprits: readonly string[], modelDir = model): Promise<void> {
  const { parent, out } = outputIn();
  const code = await main(['train', ...trainArgv(modelDir, scene, out, extra)]);
  expect(code).toBe(2);
  expect(errors).toHaveLength(1);
  const line = errors[0]!;
  expect(line).not.toContain('\n');
  expect(line.startsWith('bas train: error: ')).toBe(true);
  for (const c of culprits) expect(line).toContain(c);
  expect(readdirSync(parent)).toEqual([]);
}

describe('bas train rejects bad input before writing anything', () => {
  it('a missing instance folder', async () => {
    const missing = join(tmp.root, 'no-such-scene');
    await expectRejected(missing, [], ['instance folder not found', missing]);
  });

  it('a folder without its image', async () => {
    const scene = writeScene(tmp.fresh('scene'));
    rmSync(join(scene, 'img.png'));
    await expectRejected(scene, [], ['no image in instance folder', scene, 'img.png']);
  });

  it('a missing mask', async () => {
    const scene = writeScene(tmp.fresh('scene'));
    rmSync(join(scene, 'mask1.png'));
    await expectRejected(scene, [], ['missing mask1.png']);
  });

  it('a mask whose size differs from the image', async () => {
    const scene = writeScene(tmp.fresh('scene'));
    writePng(join(scene, 'mask1.png'), { width: 16, height: 16, gray: new Uint8Array(256) });
    await expectRejected(scene, [], ['mask size differs from the image', 'mask1.png is 16x16', 'is 8x8']);
  });

  it('--num_of_assets differing from the masks found', async () => {
    const scene = writeScene(tmp.fresh('scene'));
    await expectRejected(scene, ['--num_of_assets', '2'], ['--num_of_assets is 2', 'holds 3 mask(s)']);
  });

  it('--num_of_assets differing from the number of initializer tokens', async () => {
    const scene = writeScene(tmp.fresh('scene'));
    await expectRejected(scene, ['--initializer_tokens', 'red', 'green'], ['--initializer_tokens gives 2 words for --num_of_assets 3']);
  });

  it('an initializer word outside the vocabulary', async () => {
    const scene = writeScene(tmp.fresh('scene'));
    await expectRejected(scene, ['--initializer_tokens', 'red', 'zyzzyva', 'blue'], ['"zyzzyva"', 'not in the tokenizer\'s vocabulary']);
  });

  it('a corrupt image PNG and a corrupt mask PNG', async () => {
    const scene = writeScene(tmp.fresh('scene'));
    // a PNG signature followed by garbage: the decoder, not the extension check, must catch it
    writeFileSync(join(scene, 'img.png'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40, 7)]));
    await expectRejected(scene, [], ['corrupt PNG', join(scene, 'img.png')]);
    errors = [];
    const scene2 = writeScene(tmp.fresh('scene'));
    writeFileSync(join(scene2, 'mask2.png'), 'not a png at all');
    await expectRejected(scene2, [], ['corrupt PNG', join(scene2, 'mask2.png')]);
  });

  it('a base model folder whose weights do not match its config', async () => {
    const broken = writeTinyModel(tmp.fresh('model'));
    const file = join(broken, 'unet', 'diffusion_pytorch_model.safetensors');
    const sd = load_file(file);
    const key = Object.keys(sd).find((k) => k.endsWith('attn2.to_k.weight'))!;
    sd[key.replace('to_k', 'to_kk')] = sd[key]!;
    delete sd[key];
    save_file(sd, file);
    const scene = writeScene(tmp.fresh('scene'));
    await expectRejected(scene, [], ['cannot load the model at', broken, 'to_k'], broken);
  });

  it('a missing base model folder and an unknown backend', async () => {
    const scene = writeScene(tmp.fresh('scene'));
    const missing = join(tmp.root, 'no-such-model');
    await expectRejected(scene, [], ['cannot load the model at', missing], missing);
    errors = [];
    await expectRejected(scene, ['--backend', 'quantum'], ['--backend', '"quantum"']);
  });

  it('more concepts than the tokenizer can hold, and an --attn_res without maps', async () => {
    // 5 concepts: "a photo of <asset0> and ... and <asset4>" is 14 tokens, the tiny tokenizer holds 12
    const rects = [...THREE_RECTS, { y0: 5, y1: 6, x0: 7, x1: 8, rgb: [9, 9, 9] as [number, number, number] }, { y0: 7, y1: 8, x0: 7, x1: 8, rgb: [250, 250, 9] as [number, number, number] }];
    const scene5 = writeScene(tmp.fresh('scene'), rects);
    await expectRejected(scene5, ['--num_of_assets', '5'], ['--num_of_assets 5', 'needs 14 tokens', 'holds 12']);
    errors = [];
    const scene = writeScene(tmp.fresh('scene'));
    await expectRejected(scene, ['--attn_res', '16'], ['--attn_res 16', '8x8']);
  });
});

describe('bas train --resume_from_checkpoint rejects a checkpoint that does not fit', () => {
  /** A finished 2-step run with checkpoint-1, its files and their bytes. */
  async function finishedRun(): Promise<{ scene: string; out: string; snapshot: () => Map<string, string> }> {
    const scene = writeScene(tmp.fresh('scene'));
    const { out } = outputIn();
    const code = await main(['train', ...trainArgv(model, scene, out, ['--phase1_train_steps', '2', '--phase2_train_steps', '0', '--checkpointing_steps', '1'])]);
    expect(code).toBe(0);
    expect(errors).toEqual([]);
    expect(existsSync(join(out, 'checkpoint-1', 'training_state.json'))).toBe(true);
    const snapshot = (): Map<string, string> => new Map(listFiles(out).map((f) => [f, readFileSync(join(out, f)).toString('base64')]));
    return { scene, out, snapshot };
  }

  async function expectResumeRejected(scene: string, out: string, before: Map<string, string>, culprits: readonly string[], snapshot: () => Map<string, string>): Promise<void> {
    const code = await main(['train', ...trainArgv(model, scene, out, ['--phase1_train_steps', '2', '--phase2_train_steps', '0', '--resume_from_checkpoint', 'latest'])]);
    expect(code).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).not.toContain('\n');
    for (const c of culprits) expect(errors[0]).toContain(c);
    // metrics.jsonl, the final model and the checkpoint are exactly as the finished run left them
    expect(snapshot()).toEqual(before);
  }

  it('model weights with a renamed key', async () => {
    const { scene, out, snapshot } = await finishedRun();
    const file = join(out, 'checkpoint-1', 'model', 'unet', 'diffusion_pytorch_model.safetensors');
    const sd = load_file(file);
    const key = Object.keys(sd).find((k) => k.endsWith('conv_in.weight'))!;
    sd['conv_input.weight'] = sd[key]!;
    delete sd[key];
    save_file(sd, file);
    const before = snapshot();
    await expectResumeRejected(scene, out, before, [join(out, 'checkpoint-1'), 'conv_in'], snapshot);
  });

  it('optimizer moments with a missing tensor', async () => {
    const { scene, out, snapshot } = await finishedRun();
    const file = join(out, 'checkpoint-1', 'optimizer.safetensors');
    const content = load_file_with_metadata(file);
    delete content.tensors['state.0.exp_avg_sq'];
    save_file(content.tensors, file, content.metadata);
    const before = snapshot();
    await expectResumeRejected(scene, out, before, [join(out, 'checkpoint-1'), 'optimizer.safetensors', 'moments of parameter 0'], snapshot);
  });

  it('a checkpoint of another number of concepts, and no checkpoint at all', async () => {
    const { scene, out, snapshot } = await finishedRun();
    const before = snapshot();
    rmSync(join(scene, 'mask2.png'));
    const code = await main(['train', ...trainArgv(model, scene, out, ['--num_of_assets', '2', '--resume_from_checkpoint', 'latest'])]);
    expect(code).toBe(2);
    expect(errors).toEqual([`bas train: error: checkpoint ${join(out, 'checkpoint-1')} has 3 concepts, --num_of_assets is 2`]);
    expect(snapshot()).toEqual(before);
    errors = [];
    renameSync(join(out, 'checkpoint-1'), join(out, 'saved-1'));
    const code2 = await main(['train', ...trainArgv(model, scene, out, ['--num_of_assets', '2', '--resume_from_checkpoint', 'latest'])]);
    expect(code2).toBe(2);
    expect(errors).toEqual([`bas train: error: --resume_from_checkpoint latest: no checkpoint-N folder in ${out}`]);
  });

  it('a fresh run into a folder that holds an earlier run\'s checkpoints', async () => {
    const { scene, out, snapshot } = await finishedRun();
    const before = snapshot();
    const code = await main(['train', ...trainArgv(model, scene, out)]);
    expect(code).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`--output_dir ${out} already holds checkpoints of an earlier run (checkpoint-1)`);
    expect(snapshot()).toEqual(before);
  });
});
