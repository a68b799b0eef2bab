// Console capture for the tests: the lines a command printed to console.error, console.log and
// console.warn, recorded in lists (one recorder, used by the CLI helpers in cli.ts too).
import { afterEach, beforeEach, vi } from 'vitest';

export interface Captured {
  errors: string[];
  logs: string[];
  warnings: string[];
}

/**
 * Replaces console.error/log/warn with recorders appending to `c`'s lists (fresh ones by default);
 * call in beforeEach or a test, vi.restoreAllMocks undoes it.
 */
export function captureConsole(c: Captured = { errors: [], logs: [], warnings: [] }): Captured {
  const into = (lines: string[]) => (...a: unknown[]): void => void lines.push(a.map(String).join(' '));
  vi.spyOn(console, 'error').mockImplementation(into(c.errors));
  vi.spyOn(console, 'log').mockImplementation(into(c.logs));
  vi.spyOn(console, 'warn').mockImplementation(into(c.warnings));
  return c;
}

/** Registers beforeEach/afterEach hooks in the calling file: each test starts with the same lists emptied. */
export function captureConsoleEachTest(): Captured {
  const c: Captured = { errors: [], logs: [], warnings: [] };
  beforeEach(() => {
    for (const lines of [c.errors, c.logs, c.warnings]) lines.length = 0;
    captureConsole(c);
  });
  afterEach(() => vi.restoreAllMocks());
  return c;
}
