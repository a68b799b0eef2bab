// Where a run's outputs go: one folder of some Files. The trainer and the pretrainers write
// everything (the model, checkpoints, metrics.jsonl, image logs, the report) into the sink they are
// given, and read back only from it (a resume, metrics truncation, the report), so the caller picks
// where a run lands. folderSink(dir) is a folder of the platform's files (a disk in Node), the
// default for an output_dir; memorySink() keeps the run in memory for a page or a test to read
// back. Inputs (the base model, the instance folder, an explicit class_data_dir) are read from the
// platform's files as before.
import type { Files } from '../../platform/files.js';
import { MemoryFiles } from '../../platform/memory.js';
import { files } from '../../platform/platform.js';

export interface OutputSink {
  /** The files written to and read back from. */
  readonly files: Files;
  /** The run's folder in them. */
  readonly dir: string;
}

/** `dir` of the platform's files: the CLI's --output_dir. */
export function folderSink(dir: string): OutputSink {
  return { files: files(), dir };
}

/** A sink whose outputs stay in memory, for the caller to read back. */
export interface MemorySink extends OutputSink {
  readonly files: MemoryFiles;
  /** Every file written, by its path relative to the run's folder ('checkpoint-2/optimizer.safetensors'), sorted. */
  outputs(): Record<string, Uint8Array>;
}

/** A fresh in-memory sink; `dir` names the run's folder in it (and in the trainer's messages). */
export function memorySink(dir = '/output'): MemorySink {
  const mem = new MemoryFiles();
  const root = mem.resolve(dir);
  return {
    files: mem,
    dir: root,
    outputs: () => Object.fromEntries(Object.entries(mem.snapshot(root)).map(([p, bytes]) => [p.slice(root === '/' ? 1 : root.length + 1), bytes])),
  };
}

/** A path in the sink's folder. */
export function outputPath(sink: OutputSink, ...parts: string[]): string {
  return sink.files.join(sink.dir, ...parts);
}
