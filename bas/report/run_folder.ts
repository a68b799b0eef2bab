// Reads what a training run leaves in its folder (metrics.jsonl, train_config.json, img_logs/,
// validation/, and the instance masks the config names) into a report, and writes report.html
// beside them atomically. `bas report RUN_DIR` calls it, and so does the trainer at the end. The
// folder is read from the Files given (the platform's by default: a disk in Node, a MemoryFiles in
// a browser; the trainer's, its output sink's); the instance masks, an input, from the platform's.
import { write_file_atomic } from '../../nn/fs_atomic.js';
import type { Files } from '../../platform/files.js';
import { files } from '../../platform/platform.js';
import type { MetricsLine } from '../train/trainer.js';
import { runReportHtml, type ImageGroup, type ReportImage, type RunReportData } from './run_report_html.js';

const REPORT_FILE = 'report.html';
export const CONFIG_FILE = 'train_config.json';

/** Standard base64 with padding (btoa, in Node and browsers alike), in chunks that fit an argument list. */
function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

const pngUri = (fs: Files, path: string): string => `data:image/png;base64,${base64(fs.readFile(path))}`;

/** Every .png under `dir` (recursively), as paths relative to `dir`, sorted; none when it is missing. */
function pngsUnder(fs: Files, dir: string): string[] {
  const walk = (rel: string): string[] =>
    fs.listDir(rel === '' ? dir : fs.join(dir, rel)).flatMap((name) => {
      const sub = rel === '' ? name : fs.join(rel, name);
      if (fs.isDirectory(fs.join(dir, sub))) return walk(sub);
      return name.toLowerCase().endsWith('.png') ? [sub] : [];
    });
  return fs.isDirectory(dir) ? walk('').sort() : [];
}

/** The metrics lines; a last line cut short by a crash or a running writer is skipped. */
function readMetricsLines(fs: Files, path: string): MetricsLine[] {
  if (!fs.exists(path)) return [];
  const out: MetricsLine[] = [];
  for (const line of fs.readText(path).split('\n')) {
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
function validationGroups(fs: Files, dir: string): ImageGroup[] {
  const root = fs.join(dir, 'validation');
  if (!fs.isDirectory(root)) return [];
  const steps = fs
    .listDir(root)
    .map((n) => /^step-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && fs.isDirectory(fs.join(root, m[0])))
    .sort((a, b) => Number(a[1]) - Number(b[1]));
  return steps.map(([name, step]) => {
    const folder = fs.join(root, name!);
    const indexPath = fs.join(folder, 'index.json');
    const named: ReportImage[] = [];
    const seen = new Set<string>();
    if (fs.exists(indexPath)) {
      const index = JSON.parse(fs.readText(indexPath)) as { images?: { prompt: string; seed: number; file: string; attention: string | null }[] };
      for (const e of index.images ?? []) {
        for (const [file, what] of [[e.file, `"${e.prompt}", seed ${e.seed}`], [e.attention, 'its cross-attention']] as const) {
          if (!file || !fs.exists(fs.join(folder, file))) continue;
          seen.add(file);
          named.push({ caption: what, src: pngUri(fs, fs.join(folder, file)) });
        }
      }
    }
    const rest = pngsUnder(fs, folder)
      .filter((rel) => !seen.has(rel))
      .map((rel) => ({ caption: rel, src: pngUri(fs, fs.join(folder, rel)) }));
    return { title: `step ${step}`, images: [...named, ...rest] };
  });
}

export function readRunFolder(dir: string, fs: Files = files()): RunReportData {
  if (!fs.isDirectory(dir)) throw new Error(`run folder not found: ${dir}`);
  const metrics = readMetricsLines(fs, fs.join(dir, 'metrics.jsonl'));
  const configPath = fs.join(dir, CONFIG_FILE);
  const config = fs.exists(configPath) ? (JSON.parse(fs.readText(configPath)) as Record<string, unknown>) : null;
  if (metrics.length === 0 && config === null) throw new Error(`${dir} is not a training run folder (no metrics.jsonl, no ${CONFIG_FILE})`);
  // `rel` under `root`, captioned as `sub/rel`: its path from the run folder for img_logs/ and validation/
  const image = (from: Files, root: string, rel: string, sub = ''): ReportImage => ({ caption: sub === '' ? rel : from.join(sub, rel), src: pngUri(from, from.join(root, rel)) });
  const inputs = files();
  const instance = typeof config?.['instance_data_dir'] === 'string' ? config['instance_data_dir'] : null;
  const masks = instance && inputs.exists(instance) ? pngsUnder(inputs, instance).filter((p) => /(^|[\\/])mask\d+\.png$/.test(p)).map((p) => image(inputs, instance, p)) : [];
  const under = (sub: string): ReportImage[] => pngsUnder(fs, fs.join(dir, sub)).map((p) => image(fs, fs.join(dir, sub), p, sub));
  return {
    title: `Break-A-Scene run: ${dir}`,
    config,
    metrics,
    masks,
    attention: under('img_logs'),
    validation: validationGroups(fs, dir),
  };
}

/** Writes RUN_DIR/report.html (in `fs`, the platform's files by default) and returns its path. */
export function writeRunReport(dir: string, fs: Files = files()): string {
  const path = fs.join(dir, REPORT_FILE);
  write_file_atomic(path, runReportHtml(readRunFolder(dir, fs)), fs);
  return path;
}
