// `bas generate` on bad and unusual input (issue 15): flags out of range and output paths it
// cannot write are one error line with nothing written; a .jpg output is a real JPEG; a missing
// output folder is made with a notice; a prompt cut at the tokenizer's length may lose plain words
// (a notice) but never a learned token (an error naming it).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { readImage } from '../../bas/io/image.js';
import { cliSuite, expectRejected, tree } from '../helpers/cli.js';
import { trainArgv } from '../helpers/tiny_model.js';

const suite = cliSuite('bas-generate-inputs');
const { tmp } = suite;
let trained = '';
beforeAll(async () => {
  const quiet = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  trained = tmp.fresh('trained');
  const code = await main(['train', ...trainArgv(suite.model(), suite.scene(), trained, ['--phase1_train_steps', '1', '--phase2_train_steps', '1'])]);
  quiet.mockRestore();
  expect(code).toBe(0);
});

const caseDir = (): string => suite.caseDir().parent;

const argv = (out: string, extra: readonly string[] = [], prompt = 'a photo of <asset1>'): string[] =>
  ['generate', '--model_path', trained, '--prompt', prompt, '--output_path', out, '--num_inference_steps', '2', ...extra];

describe('bas generate rejects bad flags before sampling', () => {
  it('--num_inference_steps 0, --num_images 0, a negative --guidance_scale, --guidance_rescale or --eta above 1', async () => {
    const d = caseDir();
    const out = join(d, 'x.png');
    await expectRejected(suite.out(), argv(out, ['--num_inference_steps', '0']), ['--num_inference_steps must be at least 1, got 0'], [d]);
    await expectRejected(suite.out(), argv(out, ['--num_images', '0']), ['--num_images must be at least 1, got 0'], [d]);
    await expectRejected(suite.out(), argv(out, ['--guidance_scale=-1']), ['--guidance_scale must be >= 0, got -1'], [d]);
    await expectRejected(suite.out(), argv(out, ['--guidance_rescale', '2']), ['--guidance_rescale must be in [0, 1], got 2'], [d]);
    await expectRejected(suite.out(), argv(out, ['--eta', '1.5']), ['--eta must be in [0, 1], got 1.5'], [d]);
    await expectRejected(suite.out(), argv(out, ['--seed', 'one']), ['--seed expects a number, got "one"'], [d]);
  });

  it('an output type it cannot write, an output path that is a folder or under a file', async () => {
    const d = caseDir();
    await expectRejected(suite.out(), argv(join(d, 'x.webp')), [`--output_path ${join(d, 'x.webp')}: unsupported image type ".webp"`], [d]);
    await expectRejected(suite.out(), argv(join(d, 'x')), ['--output_path', 'unsupported image type "(none)"'], [d]);
    mkdirSync(join(d, 'dir.png'));
    await expectRejected(suite.out(), argv(join(d, 'dir.png')), [`--output_path ${join(d, 'dir.png')} is a folder`], [d]);
    writeFileSync(join(d, 'file'), '');
    await expectRejected(suite.out(), argv(join(d, 'file', 'x.png')), [`--output_path ${join(d, 'file', 'x.png')}: ${join(d, 'file')} is a file`], [d]);
    await expectRejected(suite.out(), argv(join(d, 'ok.png'), ['--attention_map_path', join(d, 'a.gif')]), ['--attention_map_path', 'unsupported image type ".gif"'], [d]);
  });
});

describe('bas generate output files', () => {
  it('--output_path x.jpg writes a real JPEG (and the attention map too)', async () => {
    const d = caseDir();
    const out = join(d, 'x.jpg');
    const attn = join(d, 'attn.jpeg');
    expect(await main(argv(out, ['--num_images', '2', '--attention_map_path', attn]))).toBe(0);
    expect(suite.out().errors).toEqual([]);
    for (const f of [out, attn]) {
      const bytes = readFileSync(f);
      // SOI marker: JPEG, not PNG bytes under a .jpg name
      expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]);
    }
    const img = readImage(out);
    expect([img.width, img.height]).toEqual([16, 8]);
    // and .png stays PNG
    const png = join(d, 'x.png');
    expect(await main(argv(png))).toBe(0);
    expect(readFileSync(png).subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('an --output_path in a missing folder: the folder is made, with a one-line notice', async () => {
    const d = caseDir();
    const out = join(d, 'new', 'deeper', 'x.png');
    expect(await main(argv(out))).toBe(0);
    expect(suite.out().logs).toContain(`note: created the folder ${join(d, 'new', 'deeper')}`);
    expect(tree(d)).toEqual(['new/', 'new/deeper/', 'new/deeper/x.png']);
  });
});

describe('bas generate and prompts longer than the tokenizer', () => {
  // the tiny tokenizer reads 12 tokens: start, 10 words, end
  it('a learned token that truncation would cut off: an error naming it, nothing written', async () => {
    const d = caseDir();
    const prompt = 'a photo of a red circle and a blue square on a grey background and <asset2>';
    await expectRejected(suite.out(), argv(join(d, 'x.png'), [], prompt), ['--prompt is 18 tokens and the model reads 12', '<asset2> would be cut off'], [d]);
  });

  it('plain words cut off: a notice of what the model does not read, and the image', async () => {
    const d = caseDir();
    const prompt = 'a photo of <asset2> and a red circle on a grey background';
    expect(await main(argv(join(d, 'x.png'), [], prompt))).toBe(0);
    expect(suite.out().warnings).toEqual(['note: --prompt is 14 tokens and the model reads 12: "grey background" is cut off']);
    expect(tree(d)).toEqual(['x.png']);
  });
});
