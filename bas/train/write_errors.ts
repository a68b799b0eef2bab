// A run's output that could not be written (a full disk, a quota, a read-only or vanished folder):
// not bad input, but still one line for the user, naming what was being written, the system's
// reason, and what was kept. Errors without a system error code (a bug) pass through unchanged,
// with their stack.
import { fileErrorCode } from '../../platform/files.js';

export class OutputWriteError extends Error {
  constructor(
    message: string,
    /** The system's error code (ENOSPC, EDQUOT, EROFS, ...). */
    readonly code: string,
  ) {
    super(message);
    this.name = 'OutputWriteError';
  }

  /** `e` as an OutputWriteError about writing `what` when it is a file-system failure; anything else unchanged. */
  static wrap(e: unknown, what: string): unknown {
    if (e instanceof OutputWriteError) return e;
    const code = fileErrorCode(e);
    if (code === undefined || !/^E[A-Z]+$/.test(code)) return e;
    const reason = e instanceof Error ? e.message : String(e);
    return new OutputWriteError(`cannot write ${what}: ${reason}${code === 'ENOSPC' || code === 'EDQUOT' ? ' (the disk is full)' : ''}`, code);
  }

  /** The same failure with `note` (what was kept, how to go on) appended. */
  withNote(note: string): OutputWriteError {
    return new OutputWriteError(`${this.message}; ${note}`, this.code);
  }
}
