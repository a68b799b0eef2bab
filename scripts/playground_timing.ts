// Times the playground in headless Chromium (the README's figures): builds the page, serves it,
// generates the world scene of seed 7 with 3 objects, trains PHASE1 + PHASE2 steps on BACKEND with or
// without prior preservation, then generates "a photo of <asset0>"; prints each phase's time.
//   npx tsx scripts/playground_timing.ts [backend=gpujs-webasm] [phase1=100] [phase2=100] [prior=1] [model=base]
import { chromium } from 'playwright-core';
import { buildPlayground } from '../playground/node/build.js';
import { serveFolder } from '../playground/node/serve.js';

const [backend = 'gpujs-webasm', p1 = '100', p2 = '100', prior = '1', model = 'base'] = process.argv.slice(2);
const built = await buildPlayground();
const served = await serveFolder(built.dir, { port: 0 });
const browser = await chromium.launch({ executablePath: process.env['BAS_CHROMIUM'] ?? '/usr/bin/chromium', args: ['--no-sandbox', '--enable-unsafe-swiftshader'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  const done = (sel: string, re: RegExp, timeout = 3_600_000): Promise<unknown> =>
    page.waitForFunction(([s, r]) => new RegExp(r).test(document.querySelector(s)?.textContent ?? ''), [sel, re.source] as const, { timeout });
  const t0 = Date.now();
  await page.goto(`${served.url}?backend=${backend}&model=${model}`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 600_000 });
  console.log(`ready in ${(Date.now() - t0) / 1000} s: backend ${await page.textContent('#backend')}, ${await page.textContent('#threads')}`);
  await page.waitForFunction(() => document.querySelectorAll('#scene-masks canvas').length > 0);
  await page.fill('#t-phase1', p1);
  await page.fill('#t-phase2', p2);
  if (prior === '0') await page.uncheck('#t-prior');
  const t1 = Date.now();
  await page.click('#train-start');
  await done('#train-info', /^step 1\//);
  const t2 = Date.now();
  await done('#status', /^training done/);
  const t3 = Date.now();
  const steps = Number(p1) + Number(p2);
  console.log(`train: ${(t3 - t1) / 1000} s in all; class images and step 1 ${(t2 - t1) / 1000} s; steps 2..${steps} ${((t3 - t2) / 1000 / Math.max(1, steps - 1)).toFixed(2)} s a step`);
  console.log(`last step: ${await page.textContent('#train-info')}`);
  console.log(`attention: ${await page.textContent('#attn-info')}`);
  await page.fill('#g-prompt', 'a photo of <asset0>');
  await page.click('#gen-run');
  await done('#status', /^generated/);
  console.log(await page.textContent('#status'));
} finally {
  await browser.close();
  await served.close();
}
