// The `bas eval` report: a Markdown table beside the JSON it was made from, written atomically.
import { files } from '../../platform/platform.js';
import { to_json_text, write_file_atomic } from '../../nn/fs_atomic.js';
import type { BaseEvalResult } from './base_model.js';
import type { VariantResult } from './break_a_scene.js';

export interface EvalReport {
  command: string;
  base: BaseEvalResult | null;
  break_a_scene: VariantResult[];
  seconds: number;
}

export const pct = (v: number): string => (Number.isNaN(v) ? '-' : `${(100 * v).toFixed(1)}%`);

export function reportMarkdown(r: EvalReport): string {
  const lines = [`# bas eval`, '', `Reproduce: \`${r.command}\` (${(r.seconds / 60).toFixed(1)} min)`, ''];
  if (r.base) {
    lines.push(
      '## Base model',
      '',
      '| colour fidelity | shape fidelity | two-object prompts, both present | images |',
      '|---|---|---|---|',
      `| ${pct(r.base.colour_fidelity)} | ${pct(r.base.shape_fidelity)} | ${pct(r.base.both_present)} | ${r.base.single_images} single + ${r.base.pair_images} pair |`,
      '',
    );
  }
  const exact = r.break_a_scene.filter((v) => v.mask_noise === undefined);
  if (exact.length > 0) {
    lines.push(
      '## Break-A-Scene and ablations',
      '',
      '| variant | attention IoU | identity | identity: colour only | disentanglement | pairs: both found |',
      '|---|---|---|---|---|---|',
      ...exact.map((v) => `| ${v.variant} | ${v.attention_iou.toFixed(3)} | ${pct(v.identity)} | ${pct(v.identity_colour)} | ${pct(v.disentanglement)} | ${pct(v.pairs_both)} |`),
      '',
    );
  }
  const noisy = r.break_a_scene.filter((v) => v.mask_noise !== undefined);
  if (noisy.length > 0) {
    // the exact-mask run of the same method beside the perturbed ones, when it was run
    const rows = [...exact.filter((v) => v.variant === 'full'), ...noisy];
    lines.push(
      '## Mask robustness (the full method trained on perturbed masks; attention IoU against the true masks)',
      '',
      '| training masks | their IoU with the true masks | attention IoU | identity | identity: colour only | disentanglement | pairs: both found |',
      '|---|---|---|---|---|---|---|',
      ...rows.map((v) => `| ${v.mask_noise ?? 'exact'} | ${(v.training_mask_iou ?? 1).toFixed(3)} | ${v.attention_iou.toFixed(3)} | ${pct(v.identity)} | ${pct(v.identity_colour)} | ${pct(v.disentanglement)} | ${pct(v.pairs_both)} |`),
      '',
    );
  }
  return lines.join('\n');
}

export function writeReport(dir: string, r: EvalReport): void {
  const fs = files();
  fs.mkdirp(dir);
  write_file_atomic(fs.join(dir, 'eval.json'), to_json_text(r));
  write_file_atomic(fs.join(dir, 'eval.md'), reportMarkdown(r));
}
