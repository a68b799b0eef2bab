// The playground in a real browser: Debian's Chromium, headless, driven by playwright-core (no
// browser download), on the page that `npm run playground:build` makes, served by the playground's
// own server. The tiny model on webasm (?backend=gpujs-webasm&model=tiny): the page loads with no
// console error, a world scene trains 5 + 5 steps and the loss and IoU plots and the attention
// tiles fill, a generation runs, the gradient check reports ok, and the downloaded model's weights
// equal those of the same run by the Node trainer (same seed, same backend) within float32
// tolerance; and a short run on WebGL2 where Chromium has it (SwiftShader without a GPU).
// Screenshots of each state go to outputs/playground/. Skips, saying why, without Chromium.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { encodePng } from '../../bas/io/png.js';
import { BreakASceneTrainer } from '../../bas/train/trainer.js';
import { load_file } from '../../nn/safetensors.js';
import { buildPlayground } from '../../playground/node/build.js';
import { serveFolder, type Served } from '../../playground/node/serve.js';
import { worldScene, writeInstanceFolder } from '../../playground/worker/scene.js';
import { DEFAULT_SETTINGS, playgroundTrainConfig } from '../../playground/worker/train_settings.js';
import { chromiumPath, repoRoot } from '../helpers/environment.js';
import { tempRoot } from '../helpers/tiny_model.js';
import { extractTo, unzipStore } from './unzip.js';

const chromium = chromiumPath();
const SHOTS = join(repoRoot, 'outputs', 'playground');
/** The scene and run the page and the Node trainer both make. */
const SCENE = { seed: 7, objects: 3 };
const STEPS = { phase1: 5, phase2: 5 };
/** Same code, same backend, same engine family: any difference is float32 rounding; we allow 1e-5. */
const WEIGHT_TOLERANCE = 1e-5;
const LONG = 600_000;

const tmp = tempRoot('bas-playground-browser');

describe.skipIf(chromium === null)('the playground in headless Chromium', () => {
  let browser: Browser;
  let served: Served;
  let dist: string;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    dist = (await buildPlayground({ out: tmp.fresh('dist') })).dir;
    served = await serveFolder(dist, { port: 0 });
    const { chromium: launcher } = await import('playwright-core');
    // SwiftShader: WebGL without a GPU, for the WebGL run below
    browser = await launcher.launch({ executablePath: chromium!, args: ['--no-sandbox', '--enable-unsafe-swiftshader'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
  }, LONG);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
    tmp.cleanup();
  });

  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const text = async (sel: string): Promise<string> => (await page.textContent(sel)) ?? '';

  it('loads with no console error and says which backend runs', async () => {
    await page.goto(`${served.url}?backend=gpujs-webasm&model=tiny`);
    await page.waitForSelector('body[data-ready=true]', { timeout: LONG });
    expect(await text('#backend')).toBe('gpujs-webasm');
    await page.waitForFunction(() => document.querySelectorAll('#scene-masks canvas').length > 0);
    await shot('1-loaded');
    expect(problems).toEqual([]);
  }, LONG);

  it('trains a world scene 5 + 5 steps: plots and attention tiles fill', async () => {
    await page.fill('#scene-seed', String(SCENE.seed));
    await page.selectOption('#scene-objects', String(SCENE.objects));
    await page.click('#scene-new');
    await page.waitForFunction((n) => document.querySelectorAll('#scene-masks canvas').length === n, SCENE.objects);
    await page.fill('#t-phase1', String(STEPS.phase1));
    await page.fill('#t-phase2', String(STEPS.phase2));
    const t0 = Date.now();
    await page.click('#train-start');
    await page.waitForFunction(() => /^training done/.test(document.querySelector('#status')?.textContent ?? ''), null, { timeout: LONG });
    console.log(`browser: ${STEPS.phase1} + ${STEPS.phase2} steps of the tiny model on gpujs-webasm (with its class images) took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(await text('#train-info')).toMatch(/^step 10\/10 \(phase 2\)/);
    // one line per series: loss and diffusion; attention loss; one per concept
    expect(await page.locator('#chart-loss svg path').count()).toBe(2);
    expect(await page.locator('#chart-attn svg path').count()).toBe(1);
    expect(await page.locator('#chart-iou svg path').count()).toBe(SCENE.objects);
    // the attention view: mask, map and overlay per token
    expect(await page.locator('#attn-grid canvas').count()).toBe(3 * SCENE.objects);
    expect(await text('#attn-info')).toMatch(/^step 10, timestep 200: the loss/);
    const layers = await page.locator('#attn-layer option').count();
    expect(layers).toBeGreaterThan(3);
    await page.selectOption('#attn-layer', { index: layers - 1 });
    expect(await text('#attn-info')).toMatch(/up layer 1 \(16x16\)/);
    await shot('2-trained');
    expect(problems).toEqual([]);
  }, LONG);

  it('generates with the learned tokens, step by step', async () => {
    await page.fill('#g-steps', '5');
    await page.click('#gen-run');
    await page.waitForFunction(() => /^generated/.test(document.querySelector('#status')?.textContent ?? ''), null, { timeout: LONG });
    expect(await text('#gen-scrub-value')).toMatch(/^5\/5 \(t = \d+\)/);
    // a photo of <asset0> and <asset1>: six tokens, six tiles
    expect(await page.locator('#gen-tiles canvas').count()).toBe(6);
    await page.fill('#gen-scrub', '0');
    await page.dispatchEvent('#gen-scrub', 'input');
    expect(await text('#gen-scrub-value')).toMatch(/^1\/5/);
    await shot('3-generated');
    expect(problems).toEqual([]);
  }, LONG);

  it('runs the gradient check and reports ok', async () => {
    await page.click('#gradcheck-run');
    await page.waitForFunction(() => /^(ok|MISMATCH)/.test(document.querySelector('#gradcheck-status')?.textContent ?? ''), null, { timeout: LONG });
    expect(await text('#gradcheck-status')).toMatch(/^ok: \d+ entries in \d+ parameters/);
    expect(await page.locator('#gradcheck-table tr').count()).toBeGreaterThan(10);
    await shot('4-gradcheck');
    expect(problems).toEqual([]);
  }, LONG);

  it('trains on WebGL2 where headless Chromium has it (SwiftShader included)', async (ctx) => {
    const gl = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    gl.on('pageerror', (e) => problems.push(`page error (WebGL): ${e.message}`));
    await gl.goto(`${served.url}?backend=gpujs-webgl2&model=tiny`);
    await gl.waitForFunction(() => document.body.dataset.ready === 'true' || /^error/.test(document.querySelector('#status')?.textContent ?? ''), null, { timeout: LONG });
    const status = (await gl.textContent('#status')) ?? '';
    if (status.startsWith('error')) {
      console.log(`skipping the WebGL run: ${status}`);
      await gl.close();
      ctx.skip();
    }
    expect(await gl.textContent('#backend')).toBe('gpujs-webgl2');
    await gl.fill('#t-phase1', '2');
    await gl.fill('#t-phase2', '2');
    await gl.uncheck('#t-prior');
    await gl.click('#train-start');
    await gl.waitForFunction(() => /^training done/.test(document.querySelector('#status')?.textContent ?? ''), null, { timeout: LONG });
    console.log(`browser, gpujs-webgl2: ${await gl.textContent('#train-info')}`);
    expect(await gl.locator('#chart-iou svg path').count()).toBe(3);
    expect(await gl.locator('#attn-grid canvas').count()).toBe(9);
    await gl.screenshot({ path: join(SHOTS, '5-webgl2.png'), fullPage: true });
    await gl.close();
    expect(problems).toEqual([]);
  }, LONG);

  it("downloads the model, whose weights are the Node trainer's on the same run", async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const zipPath = join(tmp.root, 'model.zip');
    await download.saveAs(zipPath);
    const fromPage = join(extractTo(unzipStore(readFileSync(zipPath)), tmp.fresh('page')), 'bas-playground-model');

    // the same run in Node: the model folder the page fetched, the same scene, settings and backend
    const quiet = vi.spyOn(console, 'log').mockImplementation(() => {});
    const root = tmp.fresh('node');
    const scene = join(root, 'scene');
    const s = worldScene(SCENE.seed, SCENE.objects);
    writeInstanceFolder(scene, s);
    const settings = { ...DEFAULT_SETTINGS, phase1_train_steps: STEPS.phase1, phase2_train_steps: STEPS.phase2 };
    const config = playgroundTrainConfig(settings, { model: join(dist, 'models', 'tiny'), scene, output: join(root, 'out') }, SCENE.objects, 'gpujs-webasm');
    await new BreakASceneTrainer(config, { log: () => {} }).train();
    quiet.mockRestore();

    let worst = 0;
    for (const rel of ['unet/diffusion_pytorch_model.safetensors', 'text_encoder/model.safetensors']) {
      const a = load_file(join(fromPage, rel));
      const b = load_file(join(root, 'out', rel));
      expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
      for (const k of Object.keys(a)) {
        const x = a[k]!.data;
        const y = b[k]!.data;
        for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
      }
    }
    console.log(`browser vs Node trainer, ${STEPS.phase1} + ${STEPS.phase2} steps on gpujs-webasm: max abs weight difference ${worst}`);
    expect(worst).toBeLessThanOrEqual(WEIGHT_TOLERANCE);
  }, LONG);

  it('paints a new mask with the brush, erases part of it, and the worker takes the scene', async () => {
    const before = await page.locator('#scene-masks canvas').count();
    await page.click('#brush-add');
    const box = (await page.locator('#scene-canvas').boundingBox())!;
    // a stroke across the top-left quarter, then the eraser over its start
    await page.mouse.move(box.x + 10, box.y + 10);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 8 });
    await page.mouse.up();
    await page.check('input[name=brush-mode][value=eraser]');
    await page.mouse.click(box.x + 10, box.y + 10);
    const painted = await page.evaluate(() => {
      const p = (window as unknown as { playground: { scene: { draft: { masks: Uint8Array[] } } } }).playground.scene.draft;
      const m = p.masks[p.masks.length - 1]!;
      return { on: m.filter((v) => v === 255).length, corner: m[1 * 32 + 1] };
    });
    expect(painted.on).toBeGreaterThan(10);
    expect(painted.corner).toBe(0);
    await page.click('#brush-apply');
    await page.waitForFunction((n) => /painted masks/.test(document.querySelector('#scene-caption')?.textContent ?? '') && document.querySelectorAll('#scene-masks canvas').length === n, before + 1);
    await shot('6-painted');
    expect(problems).toEqual([]);
  }, LONG);

  it('takes an uploaded image with its masks', async () => {
    const size = 24;
    const rgb = new Uint8Array(size * size * 3).fill(90);
    const masks = [0, 1].map((k) => Uint8Array.from({ length: size * size }, (_, p) => ((p % size < size / 2) === (k === 0) ? 255 : 0)));
    const file = (name: string, png: Uint8Array): { name: string; mimeType: string; buffer: Buffer } => ({ name, mimeType: 'image/png', buffer: Buffer.from(png) });
    await page.setInputFiles('#upload-image', file('img.png', encodePng({ width: size, height: size, rgb })));
    await page.setInputFiles('#upload-masks', masks.map((gray, i) => file(`mask${i}.png`, encodePng({ width: size, height: size, gray }))));
    await page.click('#upload-use');
    await page.waitForFunction(() => /^uploaded img\.png \(2 concepts/.test(document.querySelector('#scene-caption')?.textContent ?? ''));
    expect(await page.locator('#scene-masks canvas').count()).toBe(2);
    await shot('7-uploaded');
    expect(problems).toEqual([]);
  }, LONG);
});
