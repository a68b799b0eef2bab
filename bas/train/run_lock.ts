// One run per output folder: a run holds `<output_dir>/.bas-lock`, holding its writer id (the
// platform's randomId(): `<pid>-<random>` in Node), from its first write there to its end, so a
// second run started into the same folder refuses instead of interleaving checkpoints and metrics.
// The lock is created in one exclusive step (Files.writeFileExclusive); a lock whose writer is
// gone (a run killed with kill -9) is taken over with a notice, judged as stale checkpoint
// temporaries are (Platform.otherWriterRuns).
//
// The takeover is race-free. Reading a stale lock and then removing it are two steps, so two runs
// that both read the same stale id could both remove "it" (the second removing the lock the first
// has just made). Instead, a file whose content is a dead writer's id K is only ever removed by the
// run that holds the claim `.bas-lock.takeover-K`, made exclusively: one claim holder at a time per
// K, and K is never written again (ids are unique, dead writers write nothing), so what the holder
// reads under its claim cannot change before it removes it. A claim left by a run killed while
// holding it is itself a file whose content (its claimer's id) is dead: removed the same way.
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

/** The claim that lets its holder remove a file whose content is the dead writer id `stale`. */
function claimPath(lockPath: string, stale: string): string {
  // a lock's content is whatever the file holds: keep the claim's name a plain file name
  return `${lockPath}.takeover-${stale.replace(/[^\w-]/g, '_').slice(0, 64)}`;
}

/**
 * Removes `target` if it still holds the dead writer id `stale`, under `stale`'s claim; true when
 * this call removed it. A live claimer is another run taking over the same lock: refused as in use.
 */
function removeStale(dir: string, lockPath: string, target: string, stale: string, id: string, fs: Files, depth = 0): boolean {
  const claim = claimPath(lockPath, stale);
  try {
    fs.writeFileExclusive(claim, `${id}\n`);
  } catch (e) {
    if (fileErrorCode(e) !== 'EEXIST') throw e;
    const claimer = holderOf(claim, fs);
    if (claimer === null) return false;
    if (isLive(claimer)) throw inUse(dir, claimer, lockPath);
    // its claimer died holding it: clear that claim the same way, then the caller goes round again
    if (depth < 3) removeStale(dir, lockPath, claim, claimer, id, fs, depth + 1);
    return false;
  }
  try {
    if (holderOf(target, fs) !== stale) return false;
    fs.remove(target);
    return true;
  } finally {
    fs.remove(claim);
  }
}

/**
 * Claims left by runs killed while holding one (harmless but litter): removed once `dir` is ours,
 * best effort (a claim another run is clearing at the same moment is left to it).
 */
function clearDeadClaims(dir: string, lockPath: string, id: string, fs: Files): void {
  const prefix = `${LOCK_FILE}.takeover-`;
  for (const name of fs.listDir(dir).filter((n) => n.startsWith(prefix))) {
    const claim = fs.join(dir, name);
    const claimer = holderOf(claim, fs);
    try {
      if (claimer !== null && !isLive(claimer)) removeStale(dir, lockPath, claim, claimer, id, fs);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
    }
  }
}

/** Takes `dir`'s lock (the folder must exist); a stale one is taken over with a notice, a live one refused. */
export function acquireRunLock(dir: string, notice: (msg: string) => void, fs: Files = files()): RunLock {
  const path = fs.join(dir, LOCK_FILE);
  const id = getPlatform().randomId();
  // live from the start: a claim this run holds is not another run's to clear
  heldHere.add(id);
  try {
    // a few rounds: a lock released or taken over between our steps sends us round again
    for (let round = 0; round < 4; round++) {
      try {
        fs.writeFileExclusive(path, `${id}\n`);
        clearDeadClaims(dir, path, id, fs);
        return {
          release(): void {
            // still live while it removes the lock: another run in this process must not take it over meanwhile
            if (holderOf(path, fs) === id) fs.remove(path);
            heldHere.delete(id);
          },
        };
      } catch (e) {
        if (fileErrorCode(e) !== 'EEXIST') throw e;
      }
      const holder = holderOf(path, fs);
      if (holder === null) continue;
      if (isLive(holder)) throw inUse(dir, holder, path);
      // its writer is gone (killed, or the machine restarted)
      if (removeStale(dir, path, path, holder, id, fs)) notice(`note: took over the lock ${path} of a run that is no longer running (${describeHolder(holder)})`);
    }
    throw inUse(dir, holderOf(path, fs) ?? '?', path);
  } catch (e) {
    heldHere.delete(id);
    throw e;
  }
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
