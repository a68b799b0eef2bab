// The live plots of panel 2, drawn with the project's own SVG line chart (bas/report/svg_chart.ts,
// the one `bas report` uses): loss (and its diffusion term), attention loss, and per-concept IoU.
// IoU comes from the live attention probe when it runs (every concept, every step, one noise
// level), else from the training step's own sample (a concept keeps its last value between the
// steps whose prompt names it). Redrawn at most once a frame.
import { lineChart, type Series } from '../../bas/report/svg_chart.js';
import type { MetricsLine } from '../../bas/train/trainer.js';
import { el } from './dom.js';

type Points = [number, number][];

export class TrainCharts {
  private loss: Points = [];
  private diffusion: Points = [];
  private attn: Points = [];
  private trainIou: Points[] = [];
  private probeIou: Points[] = [];
  private lastIou: number[] = [];
  private pending = false;

  reset(): void {
    this.loss = [];
    this.diffusion = [];
    this.attn = [];
    this.trainIou = [];
    this.probeIou = [];
    this.lastIou = [];
    this.redraw();
  }

  addStep(line: MetricsLine): void {
    this.loss.push([line.step, line.loss]);
    this.diffusion.push([line.step, line.diffusion_loss]);
    if (line.attn_loss !== null) this.attn.push([line.step, line.attn_loss]);
    for (const s of line.concepts) s.ids.forEach((c, i) => (this.lastIou[c] = s.iou[i]!));
    this.lastIou.forEach((v, c) => (this.trainIou[c] ??= []).push([line.step, v]));
    this.redraw();
  }

  addProbe(step: number, iou: readonly number[]): void {
    iou.forEach((v, c) => {
      const s = (this.probeIou[c] ??= []);
      if (s.length === 0 || s[s.length - 1]![0] < step) s.push([step, v]);
    });
    this.redraw();
  }

  private redraw(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  private draw(): void {
    const o = { width: 360, height: 220, xLabel: 'step' };
    el('chart-loss').innerHTML = lineChart(
      [
        { name: 'loss', points: this.loss },
        { name: 'diffusion', points: this.diffusion },
      ],
      { ...o, title: 'loss' },
    );
    el('chart-attn').innerHTML = lineChart([{ name: 'attention loss', points: this.attn }], { ...o, title: 'attention loss' });
    const probe = this.probeIou.some((s) => s.length > 0);
    const iou: Series[] = (probe ? this.probeIou : this.trainIou).map((points, c) => ({ name: `<asset${c}>`, points }));
    el('chart-iou').innerHTML = lineChart(iou, { ...o, title: probe ? 'IoU per concept (probe)' : 'IoU per concept (training sample)', yRange: [0, 1] });
  }
}
