// Bad input (a missing folder, a mask of the wrong size, an unknown word): reported to the user as
// one line naming the culprit, with a non-zero exit, never as a stack trace.
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
