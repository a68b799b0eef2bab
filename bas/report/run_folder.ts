// Reads what a training run leaves in its folder (metrics.jsonl, train_config.json, img_logs/,
// validation/, and the instance masks the config names) into a report, and writes report.html
// beside them atomically. `bas report RUN_DIR` calls it, and so does the trainer at the end.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { write_file_atomic } from '../../nn/fs_atomic.js';
import type { MetricsLine } from '../train/trainer.js';
import { runReportHtml, type ImageGroup, type ReportImage, type RunReportData } from './run_report_html.js';

export const REPORT_FILE = 'report.html';
export const CONFIG_FILE = 'train_config.json';

const pngUri = (path: string): string => `data:image/png;base64,${readFileSync(path).toString('base64')}`;

/** Every .png under `dir` (recursively), by path; none when it is missing. */
function pngsUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((p) => join(dir, p))
    .filter((p) => p.toLowerCase().endsWith('.png') && statSync(p).isFile())
    .sort();
}

/** The metrics lines; a last line cut short by a crash or a running writer is skipped. */
function readMetricsLines(path: string): MetricsLine[] {
  if (!existsSync(path)) return [];
  const out: MetricsLine[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as MetricsLine);
    } catch {
      break;
    }
  }
  return out;
}

/**
 * The validation samples, one group per step in step order: each image captioned with its prompt
 * and seed from the step's index.json, its attention tiles after it; PNGs no index names are
 * listed by file name.
 */
function validationGroups(dir: string, image: (p: string, root: string) => ReportImage): ImageGroup[] {
  const root = join(dir, 'validation');
  if (!existsSync(root)) return [];
  const steps = readdirSync(root)
    .map((n) => /^step-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && statSync(join(root, m[0])).isDirectory())
    .sort((a, b) => Number(a[1]) - Number(b[1]));
  return steps.map(([name, step]) => {
    const folder = join(root, name!);
    const indexPath = join(folder, 'index.json');
    const named: ReportImage[] = [];
    const seen = new Set<string>();
    if (existsSync(indexPath)) {
      const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { images?: { prompt: string; seed: number; file: string; attention: string | null }[] };
      for (const e of index.images ?? []) {
        for (const [file, what] of [[e.file, `"${e.prompt}", seed ${e.seed}`], [e.attention, 'its cross-attention']] as const) {
          if (!file || !existsSync(join(folder, file))) continue;
          seen.add(file);
          named.push({ caption: what, src: image(join(folder, file), folder).src });
        }
      }
    }
    const rest = pngsUnder(folder).filter((p) => !seen.has(relative(folder, p))).map((p) => image(p, folder));
    return { title: `step ${step}`, images: [...named, ...rest] };
  });
}

export function readRunFolder(dir: string): RunReportData {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`run folder not found: ${dir}`);
  const metrics = readMetricsLines(join(dir, 'metrics.jsonl'));
  const configPath = join(dir, CONFIG_FILE);
  const config = existsSync(configPath) ? (JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>) : null;
  if (metrics.length === 0 && config === null) throw new Error(`${dir} is not a training run folder (no metrics.jsonl, no ${CONFIG_FILE})`);
  const image = (p: string, root: string): ReportImage => ({ caption: relative(root, p), src: pngUri(p) });
  const instance = typeof config?.['instance_data_dir'] === 'string' ? config['instance_data_dir'] : null;
  const masks = instance && existsSync(instance) ? pngsUnder(instance).filter((p) => /(^|[\\/])mask\d+\.png$/.test(p)).map((p) => image(p, instance)) : [];
  return {
    title: `Break-A-Scene run: ${dir}`,
    config,
    metrics,
    masks,
    attention: pngsUnder(join(dir, 'img_logs')).map((p) => image(p, dir)),
    validation: validationGroups(dir, image),
  };
}

/** Writes RUN_DIR/report.html and returns its path. */
export function writeRunReport(dir: string): string {
  const path = join(dir, REPORT_FILE);
  write_file_atomic(path, runReportHtml(readRunFolder(dir)));
  return path;
}
