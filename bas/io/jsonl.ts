// metrics.jsonl: one JSON object a line, each with its `step`. A resumed run first drops the lines
// written after the checkpoint it starts from, so the file reads as one uninterrupted run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export function truncateJsonl(path: string, step: number): void {
  if (!existsSync(path)) return;
  const kept = step === 0 ? [] : readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '' && (JSON.parse(l) as { step: number }).step <= step);
  writeFileSync(path, kept.map((l) => `${l}\n`).join(''));
}
