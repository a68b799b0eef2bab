// One run per output folder: a run holds `<output_dir>/.bas-lock`, holding its writer id (the
// platform's randomId(): `<pid>-<random>` in Node), from its first write there to its end, so a
// second run started into the same folder refuses instead of interleaving checkpoints and metrics.
// The lock is created in one exclusive step (Files.writeFileExclusive); a lock whose writer is
// gone (a run killed with kill -9) is taken over with a notice, judged as stale checkpoint
// temporaries are (Platform.otherWriterRuns). A remaining race: two runs taking over the same
// stale lock within microseconds of each other may both proceed.
import { fileErrorCode, type Files } from '../../platform/files.js';
import { files, getPlatform } from '../../platform/platform.js';
import { InputError } from '../errors.js';

export const LOCK_FILE = '.bas-lock';

/** Writer ids of the locks this process holds: a second run in the same process (a page, a test) is another writer too. */
const heldHere = new Set<string>();

export interface RunLock {
  /** Removes the lock (if it is still this run's). */
  release(): void;
}

function holderOf(path: string, fs: Files): string | null {
  try {
    return fs.readText(path).trim();
  } catch (e) {
    if (fileErrorCode(e) === 'ENOENT') return null;
    throw e;
  }
}

const isLive = (id: string): boolean => heldHere.has(id) || getPlatform().otherWriterRuns(id);

/** `pid 1234` for a Node writer id, else the id itself. */
function describeHolder(id: string): string {
  const pid = /^(\d+)-/.exec(id);
  return pid ? `pid ${pid[1]}` : `writer "${id}"`;
}

function inUse(dir: string, holder: string, path: string): InputError {
  return new InputError((n) => `${n('output_dir')} ${dir} is in use by another run (${describeHolder(holder)}, lock ${path}); wait for it to end or choose another ${n('output_dir')}`);
}

/** Refuses at once (writing nothing) when a running writer holds `dir`'s lock: called before a run's other checks. */
export function checkNotLocked(dir: string, fs: Files = files()): void {
  const path = fs.join(dir, LOCK_FILE);
  const holder = holderOf(path, fs);
  if (holder !== null && isLive(holder)) throw inUse(dir, holder, path);
}

/** Takes `dir`'s lock (the folder must exist); a stale one is taken over with a notice, a live one refused. */
export function acquireRunLock(dir: string, notice: (msg: string) => void, fs: Files = files()): RunLock {
  const path = fs.join(dir, LOCK_FILE);
  const id = getPlatform().randomId();
  // a few rounds: a lock released or taken over between our steps sends us round again
  for (let round = 0; round < 3; round++) {
    try {
      fs.writeFileExclusive(path, `${id}\n`);
      heldHere.add(id);
      return {
        release(): void {
          heldHere.delete(id);
          if (holderOf(path, fs) === id) fs.remove(path);
        },
      };
    } catch (e) {
      if (fileErrorCode(e) !== 'EEXIST') throw e;
    }
    const holder = holderOf(path, fs);
    if (holder === null) continue;
    if (isLive(holder)) throw inUse(dir, holder, path);
    // its writer is gone (killed, or the machine restarted): remove it unless it changed meanwhile
    if (holderOf(path, fs) === holder) fs.remove(path);
    notice(`note: took over the lock ${path} of a run that is no longer running (${describeHolder(holder)})`);
  }
  throw inUse(dir, holderOf(path, fs) ?? '?', path);
}

/** Runs `fn` holding `dir`'s lock, released however `fn` ends. */
export async function withRunLock<T>(dir: string, notice: (msg: string) => void, fs: Files, fn: () => Promise<T>): Promise<T> {
  const lock = acquireRunLock(dir, notice, fs);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
