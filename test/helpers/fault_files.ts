// Faults injected at exact moments of a run, for the reliability tests: a Files wrapper that, on
// the n-th call of an operation on a path matching a pattern, before or after the real operation,
// makes the process kill itself (SIGKILL), interrupt itself (SIGINT), stop itself (SIGSTOP, for a
// test to look at a run in flight), or fails the call with ENOSPC as a full disk does. Only tests
// install it (in-process with setPlatform, or in a child through cli_child.ts); nothing in the
// library knows about it.
import type { Files } from '../../platform/files.js';
import { getPlatform, setPlatform, type Platform } from '../../platform/platform.js';

/** The Files operations a rule can watch: the ones that write. */
export type WatchedOp = 'writeFile' | 'writeFileAtomic' | 'writeFileExclusive' | 'appendText' | 'mkdirp' | 'remove' | 'rename';

export interface FaultRule {
  op: WatchedOp;
  /** A regular expression the operation's (first) path must match. */
  path: string;
  /** Which matching call fires the rule: 1 for the first (the default). */
  nth?: number;
  /** Before the real operation (the default) or right after it. */
  when?: 'before' | 'after';
  action: 'SIGKILL' | 'SIGINT' | 'SIGSTOP' | 'ENOSPC';
}

/** An error as Node's fs gives for a full disk. */
export function enospc(syscall: string, path: string): Error {
  return Object.assign(new Error(`ENOSPC: no space left on device, ${syscall} '${path}'`), { code: 'ENOSPC', syscall, path });
}

/** `inner`, with `rules` firing at their moments. */
export function faultFiles(inner: Files, rules: readonly FaultRule[]): Files {
  const seen = rules.map(() => 0);
  const fire = (op: WatchedOp, path: string, when: 'before' | 'after', data?: Uint8Array | string): void => {
    rules.forEach((r, i) => {
      if (r.op !== op || (r.when ?? 'before') !== when || !new RegExp(r.path).test(path)) return;
      if (++seen[i]! !== (r.nth ?? 1)) return;
      if (r.action === 'ENOSPC') {
        // a plain write leaves what fitted; an atomic one cleans its temporary file up (NodeFiles does)
        if (op === 'writeFile' && data !== undefined) inner.writeFile(path, typeof data === 'string' ? data.slice(0, data.length >> 1) : data.subarray(0, data.length >> 1));
        throw enospc(op === 'mkdirp' ? 'mkdir' : 'write', path);
      }
      process.kill(process.pid, r.action);
    });
  };
  const watched = <A extends [string, ...unknown[]], R>(op: WatchedOp, call: (...a: A) => R) => (...a: A): R => {
    const data = typeof a[1] === 'string' || a[1] instanceof Uint8Array ? a[1] : undefined;
    fire(op, a[0], 'before', data);
    const r = call(...a);
    fire(op, a[0], 'after');
    return r;
  };
  return {
    readFile: (p) => inner.readFile(p),
    readText: (p) => inner.readText(p),
    writeFile: watched('writeFile', (p: string, d: Uint8Array | string) => inner.writeFile(p, d)),
    writeFileAtomic: watched('writeFileAtomic', (p: string, d: Uint8Array | string) => inner.writeFileAtomic(p, d)),
    writeFileExclusive: watched('writeFileExclusive', (p: string, d: Uint8Array | string) => inner.writeFileExclusive(p, d)),
    appendText: watched('appendText', (p: string, t: string) => inner.appendText(p, t)),
    exists: (p) => inner.exists(p),
    isDirectory: (p) => inner.isDirectory(p),
    listDir: (p) => inner.listDir(p),
    mkdirp: watched('mkdirp', (p: string) => inner.mkdirp(p)),
    remove: watched('remove', (p: string) => inner.remove(p)),
    rename: watched('rename', (from: string, to: string) => inner.rename(from, to)),
    join: (...parts) => inner.join(...parts),
    dirname: (p) => inner.dirname(p),
    basename: (p) => inner.basename(p),
    resolve: (p) => inner.resolve(p),
  };
}

/**
 * In-process faults: `fault(rules)` makes the installed platform's files fail as `rules` say, until
 * `fix()` (register it with afterEach) puts the platform back.
 */
export function diskFaults(): { fault: (rules: readonly FaultRule[]) => void; fix: () => void } {
  let saved: Platform | null = null;
  const fix = (): void => {
    if (saved) setPlatform(saved);
    saved = null;
  };
  return {
    fault(rules) {
      fix();
      saved = getPlatform();
      setPlatform({ ...saved, files: faultFiles(saved.files, rules) });
    },
    fix,
  };
}
