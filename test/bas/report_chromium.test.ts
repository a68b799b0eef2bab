// report.html in a real browser: Debian's chromium, headless, loads a report with every section
// filled (curves, masks, attention tiles, grouped validation samples, flags) and logs no console
// message. A page that does log one is caught the same way, so the check can fail. Skips, saying
// why, where chromium is not installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePng } from '../../bas/io/png.js';
import { runReportHtml } from '../../bas/report/run_report_html.js';
import type { MetricsLine } from '../../bas/train/trainer.js';
import { tempRoot } from '../helpers/tiny_model.js';

const CHROMIUM = process.env['BAS_CHROMIUM'] ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) console.log(`skipping the chromium checks of report.html: no browser at ${CHROMIUM} (set BAS_CHROMIUM)`);

const tmp = tempRoot('bas-report-chromium');
afterAll(() => tmp.cleanup());

/** The DOM chromium builds from `html`, and the console lines it logged. */
function load(html: string): { dom: string; console: string[] } {
  const path = join(tmp.root, `page-${Math.random().toString(36).slice(2)}.html`);
  writeFileSync(path, html);
  const r = spawnSync(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--enable-logging=stderr', '--v=0', '--dump-dom', `file://${path}`], { encoding: 'utf8', timeout: 120_000 });
  return { dom: r.stdout, console: r.stderr.split('\n').filter((l) => /:CONSOLE[:(]/.test(l)) };
}

const png = `data:image/png;base64,${Buffer.from(encodePng({ width: 2, height: 2, rgb: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]) })).toString('base64')}`;
const line = (step: number): MetricsLine => ({ step, phase: 1, loss: 1 / step, diffusion_loss: 0.5, prior_loss: 0.4, attn_loss: 0.1, lr: 1e-3, grad_norm: 1, concepts: [{ ids: [0], iou: [step / 10] }] });

describe.runIf(available)('report.html in headless chromium', () => {
  it('renders every section with no console message', () => {
    expect(execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' })).toMatch(/Chromium/);
    const html = runReportHtml({
      title: 'run',
      config: { lambda_attention: 0.01, validation_prompt: ['a photo of <asset0>'] },
      metrics: [1, 2, 3].map(line),
      masks: [{ caption: 'mask0.png', src: png }],
      attention: [{ caption: 'img_logs/final_step_attn.png', src: png }],
      validation: [{ title: 'step 2', images: [{ caption: '"a photo of <asset0>", seed 0', src: png }] }],
    });
    const page = load(html);
    expect(page.console).toEqual([]);
    expect((page.dom.match(/<svg /g) ?? []).length).toBe(4);
    expect(page.dom).toContain('<h3>step 2</h3>');
    expect((page.dom.match(/<img /g) ?? []).length).toBe(3);
  });

  it('does report a console error when a page logs one (the check can fail)', () => {
    expect(load('<!doctype html><p>x</p><script>console.error("boom")</script>').console).toHaveLength(1);
  });
});
