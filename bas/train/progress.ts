// The progress bar: one line rewritten in place on a terminal, a line every few percent otherwise
// (logs, CI, a browser), with step, phase, loss, attn_loss, lr and the time per step.
import { getPlatform } from '../../platform/platform.js';

export interface ProgressFields {
  loss: number;
  attn_loss: number | null;
  lr: number;
}

export class Progress {
  private readonly started = Date.now();
  private lastPrinted = -1;
  private readonly tty = getPlatform().terminal();

  constructor(
    private readonly total: number,
    private readonly from: number,
  ) {}

  /** `tag` names the stage ("phase 1"), or is empty. */
  update(step: number, tag: string, f: ProgressFields): void {
    const done = step - this.from;
    const secs = (Date.now() - this.started) / 1000;
    const perStep = done > 0 ? secs / done : 0;
    const eta = perStep * (this.total - step);
    const width = 24;
    const filled = Math.round((width * step) / Math.max(this.total, 1));
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    const text =
      `[${bar}] step ${step}/${this.total}${tag ? ` ${tag}` : ''} loss ${f.loss.toFixed(4)}` +
      `${f.attn_loss === null ? '' : ` attn_loss ${f.attn_loss.toExponential(3)}`} lr ${f.lr.toExponential(2)}` +
      ` ${perStep.toFixed(2)} s/step eta ${formatTime(eta)}`;
    if (this.tty) {
      this.tty.write(`\r${text}\u001b[K`);
      return;
    }
    const every = Math.max(1, Math.floor(this.total / 20));
    if (step === this.total || step - this.lastPrinted >= every) {
      console.log(text);
      this.lastPrinted = step;
    }
  }

  done(): void {
    this.tty?.write('\n');
  }
}

function formatTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(0)}s`;
}
