// The file system as the library sees it: synchronous, whole-file reads and writes, folders, and
// path arithmetic. Node's fs answers it on a disk (platform/node); MemoryFiles (memory.ts) answers
// it from a Map, so a browser can load weights and images from ArrayBuffers and collect a run's
// outputs. Errors carry Node's codes (ENOENT, EISDIR, ...) on either side, so callers word them once.

/** What a failed file operation was about, in Node's words. */
export type FileErrorCode = 'ENOENT' | 'EISDIR' | 'ENOTDIR' | 'EEXIST' | 'ENOTEMPTY';

export interface Files {
  /** The whole file; a missing one throws with code ENOENT, a folder with EISDIR. */
  readFile(path: string): Uint8Array;
  /** The whole file as UTF-8 text. */
  readText(path: string): string;
  /** Replaces the file's content (the folder must exist). */
  writeFile(path: string, data: Uint8Array | string): void;
  /** Writes to a temporary sibling and renames it into place, so a crash never leaves a half-written file under `path`. */
  writeFileAtomic(path: string, data: Uint8Array | string): void;
  /** Creates the file with `data` only when nothing is at `path`, else throws with code EEXIST: one atomic step, so two writers cannot both succeed (a lock). */
  writeFileExclusive(path: string, data: Uint8Array | string): void;
  /** Appends UTF-8 text, creating the file when missing (metrics.jsonl). */
  appendText(path: string, text: string): void;
  exists(path: string): boolean;
  isDirectory(path: string): boolean;
  /** Names (not paths) of a folder's entries, sorted. */
  listDir(path: string): string[];
  /** Creates a folder and its missing parents; an existing folder is fine. */
  mkdirp(path: string): void;
  /** Removes a file or a whole folder; a missing path is fine. */
  remove(path: string): void;
  /** Moves a file or folder; replaces a file or an empty folder at `to`. */
  rename(from: string, to: string): void;
  join(...parts: string[]): string;
  dirname(path: string): string;
  basename(path: string): string;
  /** An absolute, normalised form of `path`. */
  resolve(path: string): string;
}

/** An error with a FileErrorCode, as MemoryFiles throws them (Node's own errors carry `code` too). */
export class FileError extends Error {
  constructor(
    readonly code: FileErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'FileError';
  }
}

/** The error code of a failed file operation (`ENOENT`, ...), from Node's errors and FileError alike. */
export function fileErrorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}
