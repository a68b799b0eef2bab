// `bas edit` walked through issue 15's table of inputs: each bad mask, image, flag, output path or
// model folder is one error line naming the flag or file, exit 2, nothing written anywhere under
// the case's folder; each legitimate but unusual input (a full, soft or alpha-drawn mask, a
// transparent, CMYK, greyscale, progressive, non-square or very large image, a missing output
// folder, paths with spaces and non-ASCII characters, a .jpg output) is edited, with one notice line
// for what was done (none where nothing needed saying).
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { readImage } from '../../bas/io/image.js';
import { writePng } from '../../bas/io/png.js';
import { cliSuite, expectRejected, tree } from '../helpers/cli.js';

const suite = cliSuite('bas-edit-inputs');
const { tmp } = suite;

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'jpeg');

/** A grey mask of w x h with 255 in [y0, y1) x [x0, x1). */
function block(w: number, h: number, y0: number, y1: number, x0: number, x1: number): Uint8Array {
  const g = new Uint8Array(w * h);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) g[y * w + x] = 255;
  return g;
}

/** A fresh case folder with an 8x8 RGB image and a mask of its left half. */
function caseFolder(): { d: string; img: string; mask: string } {
  const d = suite.caseDir().parent;
  const img = join(d, 'img.png');
  const mask = join(d, 'mask.png');
  writePng(img, { width: 8, height: 8, rgb: new Uint8Array(192).fill(100) });
  writePng(mask, { width: 8, height: 8, gray: block(8, 8, 0, 8, 0, 4) });
  return { d, img, mask };
}

function editArgv(o: { model?: string; img: string; mask: string; out: string; prompt?: string }, extra: readonly string[] = []): string[] {
  return ['edit', '--model_path', o.model ?? suite.model(), '--init_image', o.img, '--mask', o.mask, '--prompt', o.prompt ?? 'a photo', '--output_path', o.out, '--num_inference_steps', '2', ...extra];
}

/** Runs an edit expected to succeed; its log lines. */
async function edited(argv: readonly string[]): Promise<string[]> {
  const c = suite.out();
  c.logs.length = 0;
  const code = await main([...argv]);
  expect(c.errors, argv.join(' ')).toEqual([]);
  expect(code).toBe(0);
  return [...c.logs];
}

const notes = (logs: readonly string[]): string[] => logs.filter((l) => l.startsWith('note: '));

describe('bas edit: bad masks and images', () => {
  it('an empty mask, one of another size, one that vanishes at the working size, a missing, truncated or non-image mask', async () => {
    const { d, img } = caseFolder();
    const out = join(d, 'out.png');
    const m = (name: string): string => join(d, name);
    writePng(m('black.png'), { width: 8, height: 8, gray: new Uint8Array(64) });
    writePng(m('small.png'), { width: 4, height: 4, gray: new Uint8Array(16).fill(255) });
    writeFileSync(m('cut.png'), readFileSync(m('mask.png')).subarray(0, 40));
    writeFileSync(m('mask.txt'), 'left half');
    const c = suite.out();
    await expectRejected(c, editArgv({ img, mask: m('black.png'), out }), [`--mask ${m('black.png')} is all black: there is nowhere to draw`], [d]);
    await expectRejected(c, editArgv({ img, mask: m('small.png'), out }), [`--mask ${m('small.png')} is 4x4 but --init_image ${img} is 8x8; they must match`], [d]);
    await expectRejected(c, editArgv({ img, mask: m('none.png'), out }), [`--mask ${m('none.png')}: no such file`], [d]);
    await expectRejected(c, editArgv({ img, mask: m('cut.png'), out }), [`--mask ${m('cut.png')}: corrupt PNG: ${m('cut.png')}`], [d]);
    await expectRejected(c, editArgv({ img, mask: m('mask.txt'), out }), [`--mask ${m('mask.txt')}: unsupported image type ".txt"`], [d]);
    // one marked pixel of 64x64 is lost in the nearest resize to 8x8
    writePng(m('big.png'), { width: 64, height: 64, rgb: new Uint8Array(64 * 64 * 3) });
    writePng(m('dot.png'), { width: 64, height: 64, gray: block(64, 64, 3, 4, 3, 4) });
    await expectRejected(c, editArgv({ img: m('big.png'), mask: m('dot.png'), out }), [`--mask ${m('dot.png')} is all black at 8x8: there is nowhere to draw`], [d]);
  });

  it('a truncated image, a file that is not an image, a folder, a missing file', async () => {
    const { d, img, mask } = caseFolder();
    const out = join(d, 'out.png');
    const p = (name: string): string => join(d, name);
    writeFileSync(p('cut.png'), readFileSync(img).subarray(0, 50));
    writeFileSync(p('text.png'), 'not a picture');
    writeFileSync(p('cut.jpg'), readFileSync(join(FIXTURES, 'progressive.jpg')).subarray(0, 200));
    mkdirSync(p('dir.png'));
    const c = suite.out();
    await expectRejected(c, editArgv({ img: p('cut.png'), mask, out }), [`--init_image ${p('cut.png')}: corrupt PNG: ${p('cut.png')}`], [d]);
    await expectRejected(c, editArgv({ img: p('text.png'), mask, out }), [`--init_image ${p('text.png')}: corrupt PNG`], [d]);
    await expectRejected(c, editArgv({ img: p('cut.jpg'), mask, out }), [`--init_image ${p('cut.jpg')}: corrupt JPEG: ${p('cut.jpg')}`], [d]);
    await expectRejected(c, editArgv({ img: p('dir.png'), mask, out }), [`--init_image ${p('dir.png')}: image path is a folder`], [d]);
    await expectRejected(c, editArgv({ img: p('gone.png'), mask, out }), [`--init_image ${p('gone.png')}: no such file`], [d]);
  });
});

describe('bas edit: bad flags and output paths', () => {
  it('step counts, guidance, strength, seeds and image counts out of range or not numbers', async () => {
    const { d, img, mask } = caseFolder();
    const o = { img, mask, out: join(d, 'out.png') };
    const c = suite.out();
    const cases: [string[], string][] = [
      [['--num_inference_steps', '0'], '--num_inference_steps must be at least 1, got 0'],
      [['--num_inference_steps=-3'], '--num_inference_steps must be at least 1, got -3'],
      [['--num_inference_steps', '2.5'], '--num_inference_steps expects an integer, got "2.5"'],
      [['--guidance_scale=-1'], '--guidance_scale must be >= 0, got -1'],
      [['--guidance_scale', 'high'], '--guidance_scale expects a number, got "high"'],
      [['--strength', '0'], '--strength 0 must be in (0, 1]'],
      [['--strength', '1.5'], '--strength 1.5 must be in (0, 1]'],
      [['--strength=-0.5'], '--strength -0.5 must be in (0, 1]'],
      [['--strength', '0.1'], '--strength 0.1 with --num_inference_steps 2 runs no denoising step; raise either'],
      [['--seed', 'abc'], '--seed expects a number, got "abc"'],
      [['--seed', 'Infinity'], '--seed expects a number, got "Infinity"'],
      [['--num_images', '0'], '--num_images must be at least 1, got 0'],
    ];
    for (const [extra, message] of cases) await expectRejected(c, editArgv(o, extra), [message], [d]);
  });

  it('an output path that is a folder, under a file, or of a type it cannot write', async () => {
    const { d, img, mask } = caseFolder();
    mkdirSync(join(d, 'folder.png'));
    writeFileSync(join(d, 'file'), '');
    const c = suite.out();
    const rejected = (out: string, culprit: string): Promise<string> => expectRejected(c, editArgv({ img, mask, out }), [culprit], [d]);
    await rejected(join(d, 'folder.png'), `--output_path ${join(d, 'folder.png')} is a folder, not an image file`);
    await rejected(join(d, 'file', 'x.png'), `--output_path ${join(d, 'file', 'x.png')}: ${join(d, 'file')} is a file, not a folder`);
    await rejected(join(d, 'x.webp'), `--output_path ${join(d, 'x.webp')}: unsupported image type ".webp"`);
    await rejected(join(d, 'x'), `--output_path ${join(d, 'x')}: unsupported image type "(none)"`);
  });
});

describe('bas edit: broken model folders', () => {
  /** A copy of the tiny model broken by `breakIt`. */
  function broken(breakIt: (dir: string) => void): string {
    const model = tmp.fresh('broken');
    cpSync(suite.model(), model, { recursive: true });
    breakIt(model);
    return model;
  }
  const unetWeights = (m: string): string => join(m, 'unet', 'diffusion_pytorch_model.safetensors');

  it('a missing folder or component, truncated weights, another architecture, a tokenizer without the placeholder', async () => {
    const { d, img, mask } = caseFolder();
    const out = join(d, 'out.png');
    const c = suite.out();
    const rejected = (model: string, culprits: string[], prompt?: string): Promise<string> =>
      expectRejected(c, editArgv({ model, img, mask, out, ...(prompt === undefined ? {} : { prompt }) }), culprits, [d, model]);
    const missing = join(d, 'no-model');
    await rejected(missing, [`--model_path ${missing} is not a model folder (no model_index.json)`]);
    const noConfig = broken((m) => rmSync(join(m, 'unet', 'config.json')));
    await rejected(noConfig, [`unet config not found: ${join(noConfig, 'unet', 'config.json')}`]);
    const noTokenizer = broken((m) => rmSync(join(m, 'tokenizer'), { recursive: true }));
    await rejected(noTokenizer, [`tokenizer folder not found: ${join(noTokenizer, 'tokenizer')}`]);
    const cut = broken((m) => truncateSync(unetWeights(m), statSync(unetWeights(m)).size - 1000));
    await rejected(cut, [`safetensors ${unetWeights(cut)}:`, 'file truncated?']);
    const garbage = broken((m) => writeFileSync(unetWeights(m), '{"not": "safetensors"}'));
    await rejected(garbage, [`safetensors ${unetWeights(garbage)}: header length`]);
    const vae = broken((m) => writeFileSync(join(m, 'unet', 'config.json'), JSON.stringify({ _class_name: 'AutoencoderKL', in_channels: 3, latent_channels: 4 })));
    await rejected(vae, [`cannot build the unet from ${join(vae, 'unet', 'config.json')}`, 'unknown config keys latent_channels']);
    await rejected(suite.model(), [`the prompt uses <asset0>, which the model at ${suite.model()} does not have (it has: no added tokens)`], 'a photo of <asset0>');
  });
});

describe('bas edit: legitimate masks, handled with a notice', () => {
  it('all white, soft, drawn in the alpha channel; greyscale without a notice', async () => {
    const { d, img, mask } = caseFolder();
    const white = join(d, 'white.png');
    const soft = join(d, 'soft.png');
    const alpha = join(d, 'alpha.png');
    writePng(white, { width: 8, height: 8, gray: new Uint8Array(64).fill(255) });
    writePng(soft, { width: 8, height: 8, gray: new Uint8Array(64).map((_, i) => (i % 8) * 32) });
    const rgba = new Uint8Array(64 * 4);
    for (let i = 0; i < 64; i++) rgba[i * 4 + 3] = i % 8 < 4 ? 255 : 0;
    writePng(alpha, { width: 8, height: 8, rgba });
    const out = join(d, 'out.png');
    expect(notes(await edited(editArgv({ img, mask: white, out })))).toEqual(['note: white.png covers the whole image (all white): the whole image is redrawn']);
    expect(notes(await edited(editArgv({ img, mask: soft, out })))).toEqual(['note: soft.png is soft (87.5% of its pixels between 0 and 255): the edit and the image are blended there by its value / 255']);
    expect(notes(await edited(editArgv({ img, mask: alpha, out })))).toEqual(['note: alpha.png has a flat red channel: its alpha channel is read as the mask']);
    // the alpha-drawn mask edits the left half only: the right half is the input's
    const got = readImage(out);
    const input = readImage(img);
    let leftChanged = 0;
    for (let i = 0; i < 64; i++) {
      const px = (im: { rgba: Uint8Array }): string => [...im.rgba.subarray(i * 4, i * 4 + 3)].join();
      if (i % 8 >= 4) expect(px(got), `pixel ${i}`).toBe(px(input));
      else if (px(got) !== px(input)) leftChanged++;
    }
    expect(leftChanged).toBeGreaterThan(0);
    // a greyscale mask (as caseFolder writes it) needs no notice
    expect(notes(await edited(editArgv({ img, mask, out })))).toEqual([]);
  });
});

describe('bas edit: legitimate images, handled with a notice', () => {
  it('transparency, CMYK, greyscale and progressive JPEGs', async () => {
    const { d, mask } = caseFolder();
    const out = join(d, 'out.png');
    const rgba = new Uint8Array(64 * 4).fill(120);
    for (let i = 0; i < 16; i++) rgba[i * 4 + 3] = 255;
    const clear = join(d, 'clear.png');
    writePng(clear, { width: 8, height: 8, rgba });
    expect(notes(await edited(editArgv({ img: clear, mask, out })))).toEqual(['note: clear.png has transparency (75.0% of its pixels): alpha dropped, colours used as stored']);
    // the fixtures are 16x16: a 16x16 mask, and the resize to the tiny model's 8x8 is said
    const mask16 = join(d, 'mask16.png');
    writePng(mask16, { width: 16, height: 16, gray: block(16, 16, 0, 16, 0, 8) });
    const resized = (name: string): string => `note: ${name} is 16x16: resized to 8x8, its mask too; the edit is written at 8x8`;
    expect(notes(await edited(editArgv({ img: join(FIXTURES, 'cmyk.jpg'), mask: mask16, out })))).toEqual([
      resized('cmyk.jpg'),
      "note: cmyk.jpg is a CMYK JPEG: converted to RGB by the plain formula (as PIL's convert('RGB')), no colour profile applied",
    ]);
    expect(notes(await edited(editArgv({ img: join(FIXTURES, 'grey.jpg'), mask: mask16, out })))).toEqual([resized('grey.jpg')]);
    expect(notes(await edited(editArgv({ img: join(FIXTURES, 'progressive.jpg'), mask: mask16, out })))).toEqual([resized('progressive.jpg')]);
    expect(readImage(out).width).toBe(8);
  });

  it('non-square (stretched) and very large (4000x3000) images are resized with a notice', async () => {
    const { d } = caseFolder();
    const out = join(d, 'out.png');
    const wide = join(d, 'wide.png');
    const wideMask = join(d, 'wide_mask.png');
    writePng(wide, { width: 12, height: 8, rgb: new Uint8Array(12 * 8 * 3).fill(70) });
    writePng(wideMask, { width: 12, height: 8, gray: block(12, 8, 0, 8, 0, 6) });
    expect(notes(await edited(editArgv({ img: wide, mask: wideMask, out })))).toEqual(['note: wide.png is 12x8: resized to 8x8 (stretched to a square, not cropped), its mask too; the edit is written at 8x8']);
    const [w, h] = [4000, 3000];
    const big = join(d, 'big.png');
    const bigMask = join(d, 'big_mask.png');
    writePng(big, { width: w, height: h, gray: new Uint8Array(w * h).fill(200) });
    writePng(bigMask, { width: w, height: h, gray: block(w, h, 0, h, 0, w / 2) });
    expect(notes(await edited(editArgv({ img: big, mask: bigMask, out })))).toEqual(['note: big.png is 4000x3000: resized to 8x8 (stretched to a square, not cropped), its mask too; the edit is written at 8x8']);
    expect([readImage(out).width, readImage(out).height]).toEqual([8, 8]);
  }, 60_000);
});

describe('bas edit: legitimate output paths', () => {
  it('a missing output folder is made with a notice; .jpg writes a real JPEG', async () => {
    const { d, img, mask } = caseFolder();
    const out = join(d, 'new', 'deeper', 'x.png');
    expect(notes(await edited(editArgv({ img, mask, out })))).toEqual([`note: created the folder ${join(d, 'new', 'deeper')}`]);
    expect(tree(join(d, 'new'))).toEqual(['deeper/', 'deeper/x.png']);
    const jpg = join(d, 'x.jpg');
    await edited(editArgv({ img, mask, out: jpg }));
    const bytes = readFileSync(jpg);
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]);
    expect(readImage(jpg).width).toBe(8);
  });

  it('paths with spaces and non-ASCII characters', async () => {
    const { d, img, mask } = caseFolder();
    const odd = join(d, 'my pictures é ü 日本');
    mkdirSync(odd);
    const model = join(odd, 'the model');
    cpSync(suite.model(), model, { recursive: true });
    const img2 = join(odd, 'img ö.png');
    const mask2 = join(odd, 'mask ö.png');
    cpSync(img, img2);
    cpSync(mask, mask2);
    const out = join(odd, 'out put', 'edit é.png');
    const logs = await edited(editArgv({ model, img: img2, mask: mask2, out }));
    expect(logs.some((l) => l.startsWith(`wrote ${out} (1 edit(s) 8x8`))).toBe(true);
    expect(readImage(out).width).toBe(8);
  });
});
