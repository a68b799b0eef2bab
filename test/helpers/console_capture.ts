// Console capture for the CLI's tests: each test starts with empty lists of the lines the command
// printed to console.error and console.log (console.warn is silenced).
import { afterEach, beforeEach, vi } from 'vitest';

export interface CapturedConsole {
  errors: string[];
  logs: string[];
}

/** Registers beforeEach/afterEach hooks in the calling file; read the lists after each command. */
export function captureConsole(): CapturedConsole {
  const out: CapturedConsole = { errors: [], logs: [] };
  beforeEach(() => {
    out.errors.length = 0;
    out.logs.length = 0;
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void out.errors.push(a.map(String).join(' ')));
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.logs.push(a.map(String).join(' ')));
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => vi.restoreAllMocks());
  return out;
}
