// In-memory files and the platform built on them: a Map from absolute '/'-paths to bytes, with
// folders, so a browser (or a test) can hand the library weights, tokenizer files and images as
// ArrayBuffers, run it unchanged, and collect what it wrote (checkpoints, metrics, images).
import { FileError, type Files } from './files.js';
import { basename, dirname, join, resolve } from './path.js';
import type { Platform } from './platform.js';
import { SINGLE_THREAD, type Threads } from './threads.js';

export type FileData = Uint8Array | ArrayBuffer | string;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

function bytesOf(data: FileData): Uint8Array {
  if (typeof data === 'string') return encoder.encode(data);
  // a plain copy: the caller's buffer may change or be transferred later (isView works across realms)
  return ArrayBuffer.isView(data) ? new Uint8Array(data) : new Uint8Array(data.slice(0));
}

export class MemoryFiles implements Files {
  private readonly files = new Map<string, Uint8Array>();
  private readonly dirs = new Set<string>(['/']);

  /** Files from a path -> content record (folders are made as needed). */
  static from(entries: Readonly<Record<string, FileData>>): MemoryFiles {
    const fs = new MemoryFiles();
    for (const [path, data] of Object.entries(entries)) fs.add(path, data);
    return fs;
  }

  /** Puts a file at `path`, making its folders. */
  add(path: string, data: FileData): void {
    this.mkdirp(dirname(resolve(path)));
    this.writeFile(path, typeof data === 'string' ? data : bytesOf(data));
  }

  /** Every file, path -> bytes, paths sorted (what a run wrote, to download or inspect). */
  snapshot(under = '/'): Record<string, Uint8Array> {
    const root = resolve(under);
    const inside = (p: string): boolean => root === '/' || p === root || p.startsWith(`${root}/`);
    return Object.fromEntries([...this.files.entries()].filter(([p]) => inside(p)).sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  readFile(path: string): Uint8Array {
    const p = resolve(path);
    const data = this.files.get(p);
    if (data) return data.slice();
    if (this.dirs.has(p)) throw new FileError('EISDIR', `illegal operation on a directory, read '${path}'`);
    throw new FileError('ENOENT', `no such file or directory, open '${path}'`);
  }

  readText(path: string): string {
    return decoder.decode(this.readFile(path));
  }

  writeFile(path: string, data: Uint8Array | string): void {
    const p = resolve(path);
    if (this.dirs.has(p)) throw new FileError('EISDIR', `illegal operation on a directory, open '${path}'`);
    this.needFolder(dirname(p), path);
    this.files.set(p, bytesOf(data));
  }

  /** One Map update: atomic already. */
  writeFileAtomic(path: string, data: Uint8Array | string): void {
    this.writeFile(path, data);
  }

  writeFileExclusive(path: string, data: Uint8Array | string): void {
    if (this.exists(path)) throw new FileError('EEXIST', `file already exists, open '${path}'`);
    this.writeFile(path, data);
  }

  appendText(path: string, text: string): void {
    const p = resolve(path);
    const old = this.files.get(p);
    if (!old) return this.writeFile(path, text);
    const add = encoder.encode(text);
    const next = new Uint8Array(old.length + add.length);
    next.set(old);
    next.set(add, old.length);
    this.files.set(p, next);
  }

  exists(path: string): boolean {
    const p = resolve(path);
    return this.files.has(p) || this.dirs.has(p);
  }

  isDirectory(path: string): boolean {
    return this.dirs.has(resolve(path));
  }

  listDir(path: string): string[] {
    const p = resolve(path);
    if (this.files.has(p)) throw new FileError('ENOTDIR', `not a directory, scandir '${path}'`);
    this.needFolder(p, path);
    const prefix = p === '/' ? '/' : `${p}/`;
    const names = new Set<string>();
    for (const q of [...this.files.keys(), ...this.dirs]) {
      if (q !== p && q.startsWith(prefix) && !q.slice(prefix.length).includes('/')) names.add(q.slice(prefix.length));
    }
    return [...names].sort();
  }

  mkdirp(path: string): void {
    const p = resolve(path);
    for (let d = p; !this.dirs.has(d); d = dirname(d)) {
      if (this.files.has(d)) throw new FileError('EEXIST', `file already exists, mkdir '${path}'`);
    }
    for (let d = p; !this.dirs.has(d); d = dirname(d)) this.dirs.add(d);
  }

  remove(path: string): void {
    const p = resolve(path);
    if (p === '/') throw new FileError('EISDIR', 'refusing to remove the root folder');
    for (const map of [this.files, this.dirs]) {
      for (const q of map.keys()) if (q === p || q.startsWith(`${p}/`)) map.delete(q);
    }
  }

  rename(from: string, to: string): void {
    const a = resolve(from);
    const b = resolve(to);
    if (!this.exists(a)) throw new FileError('ENOENT', `no such file or directory, rename '${from}' -> '${to}'`);
    this.needFolder(dirname(b), to);
    if (a === b) return;
    if (this.files.has(a)) {
      if (this.dirs.has(b)) throw new FileError('EISDIR', `illegal operation on a directory, rename '${from}' -> '${to}'`);
      this.files.set(b, this.files.get(a)!);
      this.files.delete(a);
      return;
    }
    if (b.startsWith(`${a}/`)) throw new FileError('EEXIST', `cannot move a folder into itself, rename '${from}' -> '${to}'`);
    if (this.files.has(b)) throw new FileError('ENOTDIR', `not a directory, rename '${from}' -> '${to}'`);
    if (this.dirs.has(b) && this.listDir(b).length > 0) throw new FileError('ENOTEMPTY', `directory not empty, rename '${from}' -> '${to}'`);
    this.dirs.delete(b);
    const move = <V>(map: Map<string, V> | Set<string>): void => {
      for (const q of [...map.keys()]) {
        if (q !== a && !q.startsWith(`${a}/`)) continue;
        const moved = b + q.slice(a.length);
        if (map instanceof Map) {
          map.set(moved, map.get(q)!);
        } else {
          map.add(moved);
        }
        map.delete(q);
      }
    };
    move(this.files);
    move(this.dirs);
  }

  // path arithmetic: POSIX paths from the root '/'
  readonly join = join;
  readonly dirname = dirname;
  readonly basename = basename;
  readonly resolve = resolve;

  private needFolder(p: string, asked: string): void {
    if (!this.dirs.has(p)) throw new FileError('ENOENT', `no such file or directory: '${asked}' (no folder ${p})`);
  }
}

export interface MemoryPlatformOptions {
  /** The file system (default: an empty one). */
  files?: MemoryFiles;
  /** Environment settings (BAS_BACKEND, BAS_THREADS). */
  env?: Readonly<Record<string, string>>;
  /** Packages loadModule can return, by name ('gpu.js'). */
  modules?: Readonly<Record<string, unknown>>;
  /** Worker threads (default: none, every kernel on the calling thread). */
  threads?: Threads;
  hardwareConcurrency?: number;
  /** Names the platform in messages ('memory'). */
  name?: string;
}

/** A platform with no host at all: in-memory files, no workers unless given, no terminal. */
export function memoryPlatform(opts: MemoryPlatformOptions = {}): Platform {
  const env = opts.env ?? {};
  const modules = opts.modules ?? {};
  const name = opts.name ?? 'memory';
  let ids = 0;
  return {
    name,
    files: opts.files ?? new MemoryFiles(),
    threads: opts.threads ?? SINGLE_THREAD,
    hardwareConcurrency: opts.hardwareConcurrency ?? 1,
    loadModule(module: string): unknown {
      if (!(module in modules)) throw new Error(`the ${name} platform has no module "${module}": pass it in modules: { '${module}': ... }`);
      return modules[module];
    },
    env: (key) => env[key],
    randomId: () => `m${++ids}`,
    // one writer per memory platform: every temporary name is this one's
    otherWriterRuns: () => false,
    projectRoot: null,
    terminal: () => null,
    peakMemoryMiB: () => null,
    nextTurn: () => new Promise((r) => (typeof setTimeout === 'function' ? setTimeout(r, 0) : r(undefined))),
  };
}
