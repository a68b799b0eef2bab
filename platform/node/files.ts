// The Files of platform/files.ts on a disk, through node:fs and node:path. Atomic writes go to a
// temporary sibling, are fsynced and renamed into place.
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Files } from '../files.js';

const utf8 = (data: Uint8Array | string): Uint8Array => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

export class NodeFiles implements Files {
  /** `randomId` names the temporary files. */
  constructor(private readonly randomId: () => string) {}

  readFile(path: string): Uint8Array {
    return readFileSync(path);
  }

  readText(path: string): string {
    return readFileSync(path, 'utf8');
  }

  writeFile(path: string, data: Uint8Array | string): void {
    writeFileSync(path, data);
  }

  writeFileAtomic(path: string, data: Uint8Array | string): void {
    const tmp = join(dirname(path), `${basename(path)}.tmp-${this.randomId()}`);
    const bytes = utf8(data);
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

  writeFileExclusive(path: string, data: Uint8Array | string): void {
    // O_CREAT | O_EXCL: the kernel refuses a second creator
    writeFileSync(path, data, { flag: 'wx' });
  }

  appendText(path: string, text: string): void {
    appendFileSync(path, text);
  }

  exists(path: string): boolean {
    return existsSync(path);
  }

  isDirectory(path: string): boolean {
    return existsSync(path) && statSync(path).isDirectory();
  }

  listDir(path: string): string[] {
    return readdirSync(path).sort();
  }

  mkdirp(path: string): void {
    mkdirSync(path, { recursive: true });
  }

  remove(path: string): void {
    rmSync(path, { recursive: true, force: true });
  }

  rename(from: string, to: string): void {
    renameSync(from, to);
  }

  // path arithmetic: node:path's
  readonly join = join;
  readonly dirname = dirname;
  readonly basename = basename;
  readonly resolve = resolve;
}
