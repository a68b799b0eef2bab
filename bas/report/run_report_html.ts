// A training run's report as one self-contained HTML page: the loss, attention-loss, per-concept
// IoU and learning-rate curves over steps, the attention tiles at each logged step beside the
// masks they are supervised by, the validation samples, and the run's flags. Pure: the caller
// reads the run folder (run_folder.ts) and writes the page.
import type { MetricsLine } from '../train/trainer.js';
import { lineChart, type Series } from './svg_chart.js';

export interface ReportImage {
  /** Shown under the image (the file name, or what it is). */
  caption: string;
  /** A data: URI, so the page needs no files beside it. */
  src: string;
}

/** Images under a heading of their own (the validation samples of one step). */
export interface ImageGroup {
  title: string;
  images: readonly ReportImage[];
}

export interface RunReportData {
  title: string;
  /** The run's configuration as saved with it; null when the folder has none. */
  config: Readonly<Record<string, unknown>> | null;
  metrics: readonly MetricsLine[];
  masks: readonly ReportImage[];
  /** Attention tiles per logged step (and the final step's), in step order. */
  attention: readonly ReportImage[];
  /** Per validation step, its samples and their attention tiles. */
  validation: readonly ImageGroup[];
}

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Per concept index, the mean IoU over the step's samples that prompt it (NaN where none does). */
export function conceptIouSeries(metrics: readonly MetricsLine[]): Series[] {
  const concepts = [...new Set(metrics.flatMap((l) => l.concepts.flatMap((c) => c.ids)))].sort((a, b) => a - b);
  return concepts.map((k) => ({
    name: `concept ${k}`,
    points: metrics.map((l) => {
      const v = l.concepts.flatMap((c) => c.ids.flatMap((id, j) => (id === k && c.iou[j] !== undefined ? [c.iou[j]!] : [])));
      return [l.step, v.length ? v.reduce((s, x) => s + x, 0) / v.length : NaN] as const;
    }),
  }));
}

const figures = (images: readonly ReportImage[]): string =>
  `<div class="gallery">${images.map((i) => `<figure><img src="${i.src}" alt="${escape(i.caption)}"><figcaption>${escape(i.caption)}</figcaption></figure>`).join('')}</div>`;

function gallery(title: string, images: readonly ReportImage[], empty: string): string {
  return `<h2>${escape(title)}</h2>${images.length ? figures(images) : `<p class="none">${escape(empty)}</p>`}`;
}

function groupedGallery(title: string, groups: readonly ImageGroup[], empty: string): string {
  const body = groups.length ? groups.map((g) => `<h3>${escape(g.title)}</h3>${figures(g.images)}`).join('') : `<p class="none">${escape(empty)}</p>`;
  return `<h2>${escape(title)}</h2>${body}`;
}

export function runReportHtml(r: RunReportData): string {
  const m = r.metrics;
  const at = (f: (l: MetricsLine) => number | null): (readonly [number, number])[] => m.map((l) => [l.step, f(l) ?? NaN] as const);
  const charts = [
    lineChart([{ name: 'loss', points: at((l) => l.loss) }, { name: 'diffusion', points: at((l) => l.diffusion_loss) }, { name: 'prior', points: at((l) => l.prior_loss) }], { title: 'Loss', xLabel: 'step' }),
    lineChart([{ name: 'attention loss', points: at((l) => l.attn_loss) }], { title: 'Attention loss (before lambda)', xLabel: 'step' }),
    lineChart(conceptIouSeries(m), { title: 'Attention IoU per concept', xLabel: 'step', yRange: [0, 1] }),
    lineChart([{ name: 'lr', points: at((l) => l.lr) }], { title: 'Learning rate', xLabel: 'step' }),
  ];
  const flags = r.config
    ? `<table>${Object.entries(r.config)
        .map(([k, v]) => `<tr><td><code>--${escape(k)}</code></td><td><code>${escape(typeof v === 'string' ? v : JSON.stringify(v))}</code></td></tr>`)
        .join('')}</table>`
    : '<p class="none">this run folder holds no train_config.json</p>';
  const last = m[m.length - 1];
  const summary = last ? `${m.length} logged steps, the last (${last.step}) at loss ${last.loss.toPrecision(4)}` : 'no metrics yet';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(r.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;max-width:1200px;color:#222}
.charts{display:flex;flex-wrap:wrap;gap:12px}.gallery{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0}figure img{image-rendering:pixelated;max-width:100%;min-width:96px;border:1px solid #ccc}
figcaption{font-size:12px;color:#555}table{border-collapse:collapse}td{padding:2px 10px;border-bottom:1px solid #eee;font-size:13px}.none{color:#777}
</style></head><body>
<h1>${escape(r.title)}</h1><p>${escape(summary)}</p>
<h2>Curves</h2><div class="charts">${charts.join('')}</div>
${gallery('Masks', r.masks, 'the instance masks were not found')}
${gallery('Attention at the logged steps', r.attention, 'no attention tiles were logged (pass --log_checkpoints, or wait for the end of the run)')}
${groupedGallery('Validation samples', r.validation, 'no validation samples (pass --validation_prompt)')}
<h2>Flags</h2>${flags}
</body></html>
`;
}
