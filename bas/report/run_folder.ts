// Reads what a training run leaves in its folder (metrics.jsonl, train_config.json, img_logs/,
// validation/, and the instance masks the config names) into a report, and writes report.html
// beside them atomically. `bas report RUN_DIR` calls it, and so does the trainer at the end. The
// folder is read through the platform's files (a disk in Node, a MemoryFiles in a browser).
import { write_file_atomic } from '../../nn/fs_atomic.js';
import { files } from '../../platform/platform.js';
import type { MetricsLine } from '../train/trainer.js';
import { runReportHtml, type ReportImage, type RunReportData } from './run_report_html.js';

export const REPORT_FILE = 'report.html';
export const CONFIG_FILE = 'train_config.json';

/** Standard base64 with padding (btoa, in Node and browsers alike), in chunks that fit an argument list. */
function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

const pngUri = (path: string): string => `data:image/png;base64,${base64(files().readFile(path))}`;

/** Every .png under `dir` (recursively), as paths relative to `dir`, sorted; none when it is missing. */
function pngsUnder(dir: string): string[] {
  const fs = files();
  const walk = (rel: string): string[] =>
    fs.listDir(rel === '' ? dir : fs.join(dir, rel)).flatMap((name) => {
      const sub = rel === '' ? name : fs.join(rel, name);
      if (fs.isDirectory(fs.join(dir, sub))) return walk(sub);
      return name.toLowerCase().endsWith('.png') ? [sub] : [];
    });
  return fs.isDirectory(dir) ? walk('').sort() : [];
}

/** The metrics lines; a last line cut short by a crash or a running writer is skipped. */
function readMetricsLines(path: string): MetricsLine[] {
  if (!files().exists(path)) return [];
  const out: MetricsLine[] = [];
  for (const line of files().readText(path).split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as MetricsLine);
    } catch {
      break;
    }
  }
  return out;
}

export function readRunFolder(dir: string): RunReportData {
  const fs = files();
  if (!fs.isDirectory(dir)) throw new Error(`run folder not found: ${dir}`);
  const metrics = readMetricsLines(fs.join(dir, 'metrics.jsonl'));
  const configPath = fs.join(dir, CONFIG_FILE);
  const config = fs.exists(configPath) ? (JSON.parse(fs.readText(configPath)) as Record<string, unknown>) : null;
  if (metrics.length === 0 && config === null) throw new Error(`${dir} is not a training run folder (no metrics.jsonl, no ${CONFIG_FILE})`);
  // `rel` under `root`, captioned as `sub/rel`: its path from the run folder for img_logs/ and validation/
  const image = (root: string, rel: string, sub = ''): ReportImage => ({ caption: sub === '' ? rel : fs.join(sub, rel), src: pngUri(fs.join(root, rel)) });
  const instance = typeof config?.['instance_data_dir'] === 'string' ? config['instance_data_dir'] : null;
  const masks = instance && fs.exists(instance) ? pngsUnder(instance).filter((p) => /(^|[\\/])mask\d+\.png$/.test(p)).map((p) => image(instance, p)) : [];
  const under = (sub: string): ReportImage[] => pngsUnder(fs.join(dir, sub)).map((p) => image(fs.join(dir, sub), p, sub));
  return {
    title: `Break-A-Scene run: ${dir}`,
    config,
    metrics,
    masks,
    attention: under('img_logs'),
    validation: under('validation'),
  };
}

/** Writes RUN_DIR/report.html and returns its path. */
export function writeRunReport(dir: string): string {
  const path = files().join(dir, REPORT_FILE);
  write_file_atomic(path, runReportHtml(readRunFolder(dir)));
  return path;
}
