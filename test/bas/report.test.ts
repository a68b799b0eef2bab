// The run report: the SVG charts (ticks, gaps for missing values, escaping), the per-concept IoU
// series, and the page a training run writes at its end (and `bas report` rewrites) with its
// curves, masks, attention tiles and flags, self-contained.
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { lineChart, niceTicks } from '../../bas/report/svg_chart.js';
import { conceptIouSeries } from '../../bas/report/run_report_html.js';
import { readRunFolder } from '../../bas/report/run_folder.js';
import { BreakASceneTrainer, type MetricsLine } from '../../bas/train/trainer.js';
import { tempRoot, tinyTrainConfig, writeScene, writeTinyModel } from '../helpers/tiny_model.js';

const tmp = tempRoot('bas-report');
let run = '';
let scene = '';
const logs: string[] = [];
beforeAll(async () => {
  scene = writeScene(tmp.fresh('scene'));
  run = tmp.fresh('run');
  const config = tinyTrainConfig(writeTinyModel(tmp.fresh('model'), 2), scene, run, { phase1_train_steps: 2, phase2_train_steps: 2 });
  await new BreakASceneTrainer(config, { log: (m) => void logs.push(m) }).train();
});
afterAll(() => tmp.cleanup());

const line = (step: number, concepts: MetricsLine['concepts']): MetricsLine =>
  ({ step, phase: 1, loss: 1, diffusion_loss: 1, prior_loss: null, attn_loss: 0.5, lr: 1e-3, grad_norm: 1, concepts }) as MetricsLine;

describe('svg charts', () => {
  it('puts ticks at 1, 2 or 5 times a power of ten', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3, 47)).toEqual([10, 20, 30, 40]);
    expect(niceTicks(2, 2)).toEqual([2]);
  });

  it('breaks a line at a missing value and escapes names', () => {
    const svg = lineChart([{ name: 'a<b', points: [[0, 1], [1, 2], [2, NaN], [3, 1], [4, 2]] }], { title: 'x & y' });
    expect((svg.match(/<path d="[^"]*"/)![0].match(/M/g) ?? []).length).toBe(2);
    expect(svg).toContain('x &amp; y');
    expect(svg).toContain('a&lt;b');
    expect(lineChart([{ name: 'none', points: [] }], { title: 't' })).toContain('no data');
  });

  it('averages each concept IoU over the samples that prompt it, NaN where none does', () => {
    const series = conceptIouSeries([line(1, [{ ids: [0, 2], iou: [0.5, 0.25] }, { ids: [2], iou: [0.75] }]), line(2, [{ ids: [0], iou: [1] }])]);
    expect(series.map((s) => s.name)).toEqual(['concept 0', 'concept 2']);
    expect(series[0]!.points).toEqual([[1, 0.5], [2, 1]]);
    expect(series[1]!.points[0]).toEqual([1, 0.5]);
    expect(series[1]!.points[1]![1]).toBeNaN();
  });
});

describe('the run report', () => {
  it('is written at the end of a run with curves, masks, attention tiles and flags, self-contained', () => {
    const path = join(run, 'report.html');
    expect(logs).toContain(`wrote ${path}`);
    const html = readFileSync(path, 'utf8');
    expect((html.match(/<svg /g) ?? []).length).toBe(4);
    for (const t of ['Loss', 'Attention loss (before lambda)', 'Attention IoU per concept', 'Learning rate']) expect(html).toContain(`>${t}</text>`);
    for (const k of [0, 1, 2]) expect(html).toContain(`<figcaption>mask${k}.png</figcaption>`);
    expect(html).toContain(`<figcaption>${join('img_logs', 'final_step_attn.png')}</figcaption>`);
    expect(html).toContain('<code>--lambda_attention</code>');
    expect(html).toContain('4 logged steps');
    // nothing fetched from elsewhere: every image is inline
    expect(html).not.toMatch(/src="(?!data:image\/png;base64,)/);
  });

  it('skips a metrics line cut short, and `bas report` rewrites the page or names a folder that is not a run', async () => {
    appendFileSync(join(run, 'metrics.jsonl'), '{"step": 5, "lo');
    expect(readRunFolder(run).metrics.map((l) => l.step)).toEqual([1, 2, 3, 4]);
    rmSync(join(run, 'report.html'));
    const out: string[] = [];
    const errs: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.map(String).join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errs.push(a.map(String).join(' ')));
    expect(await main(['report', run])).toBe(0);
    expect(out).toEqual([`wrote ${join(run, 'report.html')}`]);
    const empty = tmp.fresh('empty');
    mkdirSync(empty);
    expect(await main(['report', empty])).toBe(2);
    expect(errs).toEqual([`bas report: error: RUN_DIR: ${empty} is not a training run folder (no metrics.jsonl, no train_config.json)`]);
    vi.restoreAllMocks();
  });
});
