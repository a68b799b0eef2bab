// File helpers shared by safetensors, tokenizer and pipeline I/O: writes go to a temporary name
// in the same folder and are renamed into place, so a crash never leaves a half-written file
// under the real name; reads name the file in every error.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A fresh sibling name for `path`: `<name>.tmp-<pid>-<random>`. */
export function temp_sibling(path: string): string {
  return join(dirname(path), `${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes `data` to `path` via a temporary file, fsync and rename. */
export function write_file_atomic(path: string, data: Uint8Array | string): void {
  const tmp = temp_sibling(path);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    const fd = openSync(tmp, 'w');
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** JSON with two-space indent and a trailing newline, as diffusers and transformers write it. */
export function to_json_text(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function errno_code(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/** Reads a whole file; a missing file gives "<what> not found: <path>". */
export function read_file_named(path: string, what = 'file'): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    if (errno_code(e) === 'ENOENT') throw new Error(`${what} not found: ${path}`);
    throw new Error(`cannot read ${what} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Reads and parses a JSON object; errors name the file and what was wrong. */
export function read_json_object(path: string, what = 'JSON file'): Record<string, unknown> {
  const text = Buffer.from(read_file_named(path, what)).toString('utf8');
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
