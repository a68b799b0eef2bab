// metrics.jsonl: one JSON object a line, each with its `step`. A resumed run first drops the lines
// written after the checkpoint it starts from, so the file reads as one uninterrupted run.
import type { Files } from '../../platform/files.js';
import { files } from '../../platform/platform.js';

export function truncateJsonl(path: string, step: number, fs: Files = files()): void {
  if (!fs.exists(path)) return;
  const kept = step === 0 ? [] : fs.readText(path).split('\n').filter((l) => l.trim() !== '' && (JSON.parse(l) as { step: number }).step <= step);
  fs.writeFile(path, kept.map((l) => `${l}\n`).join(''));
}
