// Ctrl-C while prior preservation's class images are generated (issue 15): the generation gives
// the event loop a turn after every denoising step, so the SIGINT handler runs within a step and
// `bas train` exits 130 without training; the images written so far are kept and a later run
// completes them with exactly the images an uninterrupted generation writes.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { loadModel, sample, sampleImagesAsync } from '../../bas/model.js';
import { ensureClassImages } from '../../bas/train/class_images.js';
import { cliSuite, tree } from '../helpers/cli.js';
import { trainArgv } from '../helpers/tiny_model.js';

const suite = cliSuite('bas-interrupt');
const { tmp } = suite;

const CLASS = { prompt: 'a photo', count: 5, batch: 2, seed: 0, num_inference_steps: 4, guidance_scale: 4 };

const pngs = (dir: string): Map<string, string> => new Map(readdirSync(dir).sort().map((n) => [n, readFileSync(join(dir, n)).toString('base64')]));

describe('bas train and Ctrl-C during class images', () => {
  it('a SIGINT delivered through the event loop stops the generation within a step: exit 130, no training', async () => {
    const out = tmp.fresh('out');
    // the signal arrives as a real one would: as an event, once the loop gets a turn
    vi.mocked(console.log).mockImplementation((...a: unknown[]) => {
      const line = a.map(String).join(' ');
      suite.out().logs.push(line);
      if (line.startsWith('generating')) setTimeout(() => process.emit('SIGINT'), 0);
    });
    const argv = trainArgv(suite.model(), suite.scene(), out, ['--num_class_images', '6', '--sample_batch_size', '2', '--num_inference_steps', '4']).filter((a) => a !== '--no_prior_preservation');
    const code = await main(['train', ...argv]);
    expect(suite.out().errors).toEqual([]);
    expect(code).toBe(130);
    expect(suite.out().logs).toContain(`interrupted while generating class images: those written are kept in ${join(out, 'class_images')} and reused by the next run`);
    // stopped in the first batch: no image, no metrics, no checkpoint, no model
    expect(tree(out)).toEqual(['class_images/']);
  });
});

describe('class images stopped part-way', () => {
  it('sampleImagesAsync draws exactly what sample draws', async () => {
    const m = loadModel(suite.model());
    const opts = { prompt: 'a photo', num_images: 2, seed: 3, num_inference_steps: 3, guidance_scale: 4 };
    const a = await sampleImagesAsync(m, opts, () => false);
    expect(Array.from(a!.data)).toEqual(Array.from(sample(m, opts).images.data));
  });

  it('resume with the very images an uninterrupted generation writes', async () => {
    const m = loadModel(suite.model());
    const whole = tmp.fresh('whole');
    expect(await ensureClassImages(m, { ...CLASS, dir: whole })).toHaveLength(5);

    // stop at the 6th check: the first batch (2 images, 4 steps) is written, the second dropped
    const parted = tmp.fresh('parted');
    let checks = 0;
    expect(await ensureClassImages(m, { ...CLASS, dir: parted, shouldStop: () => ++checks > 6 })).toBeNull();
    expect(readdirSync(parted).sort()).toEqual(['class-0000.png', 'class-0001.png']);
    expect(await ensureClassImages(m, { ...CLASS, dir: parted })).toHaveLength(5);
    expect(pngs(parted)).toEqual(pngs(whole));
  });
});
