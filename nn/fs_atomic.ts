// File helpers shared by safetensors, tokenizer and pipeline I/O, over the platform's files
// (platform/files.ts: a disk in Node, a Map in a browser): writes go to a temporary name in the
// same folder and are renamed into place, so a crash never leaves a half-written file under the
// real name; reads name the file in every error. Each takes the Files to use, the platform's by
// default (a training run's outputs go to the Files of its output sink, bas/train/output_sink.ts).
import { fileErrorCode, type Files } from '../platform/files.js';
import { files, getPlatform } from '../platform/platform.js';

/** A fresh sibling name for `path`: `<name>.tmp-<random id>`. */
export function temp_sibling(path: string, f: Files = files()): string {
  return f.join(f.dirname(path), `${f.basename(path)}.tmp-${getPlatform().randomId()}`);
}

/** Writes `data` to `path` via a temporary file and a rename (an fsync first on a disk). */
export function write_file_atomic(path: string, data: Uint8Array | string, fs: Files = files()): void {
  fs.writeFileAtomic(path, data);
}

/** JSON with two-space indent and a trailing newline, as diffusers and transformers write it. */
export function to_json_text(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Reads a whole file; a missing file gives "<what> not found: <path>". */
export function read_file_named(path: string, what = 'file', fs: Files = files()): Uint8Array {
  try {
    return fs.readFile(path);
  } catch (e) {
    if (fileErrorCode(e) === 'ENOENT') throw new Error(`${what} not found: ${path}`);
    throw new Error(`cannot read ${what} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Reads and parses a JSON object; errors name the file and what was wrong. */
export function read_json_object(path: string, what = 'JSON file', fs: Files = files()): Record<string, unknown> {
  const text = utf8.decode(read_file_named(path, what, fs));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} ${path} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${what} ${path} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}
