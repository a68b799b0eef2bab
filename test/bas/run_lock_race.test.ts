// The run lock's stale-lock takeover under races (issue 15): two runs that find the same stale
// lock must not both take it. A second takeover is run at every moment of the first one's
// (before each of its file operations, through a Files wrapper), and in each interleaving exactly
// one of them holds the lock, the other is refused as in use, and no claim file is left. Also: a
// claim left by a run killed mid-takeover is cleared, and a live one makes the run refuse.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../bas/errors.js';
import { acquireRunLock, LOCK_FILE, type RunLock } from '../../bas/train/run_lock.js';
import type { Files } from '../../platform/files.js';
import { files } from '../../platform/platform.js';
import { tempRoot } from '../helpers/tiny_model.js';

const tmp = tempRoot('bas-lock-race');
afterAll(() => tmp.cleanup());

/** pid 4194999 is above Linux's largest pid: a writer id of no running process. */
const DEAD = '4194999-0a1b2c3d';

function staleFolder(): string {
  const dir = tmp.fresh('out');
  mkdirSync(dir);
  writeFileSync(join(dir, LOCK_FILE), `${DEAD}\n`);
  return dir;
}

/**
 * `inner`, running `interleave` once, just before its `at`-th operation (counting every call);
 * counts calls until `stop()` (after the acquisition: the release is not raced here).
 */
function interleaved(inner: Files, at: number, interleave: () => void): { fs: Files; calls: () => number; stop: () => void } {
  let n = 0;
  let counting = true;
  const fs = new Proxy(inner, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (counting && ++n === at) interleave();
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { fs, calls: () => n, stop: () => void (counting = false) };
}

type Outcome = { lock: RunLock } | { refused: string };

function attempt(dir: string, notes: string[], fs: Files = files()): Outcome {
  try {
    return { lock: acquireRunLock(dir, (m) => void notes.push(m), fs) };
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return { refused: e.message };
  }
}

describe('two runs taking over the same stale lock', () => {
  it('at every interleaving, exactly one holds the lock and the other is refused', () => {
    // how many file operations one takeover makes, alone
    const alone = staleFolder();
    const count = interleaved(files(), 0, () => undefined);
    const solo = attempt(alone, [], count.fs);
    const steps = count.calls();
    expect('lock' in solo).toBe(true);
    expect(steps).toBeGreaterThan(3);
    for (let at = 1; at <= steps + 1; at++) {
      const dir = staleFolder();
      const notes: string[] = [];
      let second: Outcome | null = null;
      const race = interleaved(files(), at, () => void (second = attempt(dir, notes)));
      const first = attempt(dir, notes, race.fs);
      race.stop();
      // past the first's last operation: the second comes after it
      second ??= attempt(dir, notes);
      const outcomes = [first, second];
      const held = outcomes.filter((o): o is { lock: RunLock } => 'lock' in o);
      const refused = outcomes.filter((o): o is { refused: string } => 'refused' in o);
      expect(held, `second takeover before operation ${at} of ${steps}`).toHaveLength(1);
      expect(refused[0]!.refused).toMatch(new RegExp(`^output_dir ${dir} is in use by another run \\(pid ${process.pid}, `));
      // the stale lock was taken over once, with one notice
      expect(notes).toEqual([`note: took over the lock ${join(dir, LOCK_FILE)} of a run that is no longer running (pid 4194999)`]);
      expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).not.toContain(DEAD);
      held[0]!.lock.release();
      expect(readdirSync(dir), `operation ${at}`).toEqual([]);
    }
  });

  it('a claim left by a run killed mid-takeover is cleared; a live claimer makes the run refuse', () => {
    const dir = staleFolder();
    // the claimer of the stale lock died while holding its claim
    writeFileSync(join(dir, `${LOCK_FILE}.takeover-${DEAD}`), '4194998-00000000\n');
    const notes: string[] = [];
    const got = attempt(dir, notes);
    expect('lock' in got).toBe(true);
    expect(notes).toEqual([`note: took over the lock ${join(dir, LOCK_FILE)} of a run that is no longer running (pid 4194999)`]);
    if ('lock' in got) got.lock.release();
    expect(readdirSync(dir)).toEqual([]);

    // pid 1 always runs: another run is taking the stale lock over right now
    const busy = staleFolder();
    writeFileSync(join(busy, `${LOCK_FILE}.takeover-${DEAD}`), '1-00000000\n');
    const refused = attempt(busy, []);
    expect(refused).toEqual({ refused: `output_dir ${busy} is in use by another run (pid 1, lock ${join(busy, LOCK_FILE)}); wait for it to end or choose another output_dir` });
    expect(existsSync(join(busy, LOCK_FILE))).toBe(true);
  });
});
