// How the CLI reports the library's bad-input errors: one line, the fields the message names
// written as the flags that set them (`num_of_assets` -> `--num_of_assets`).
import type { InputError } from '../bas/errors.js';

export function flagMessage(e: InputError): string {
  return e.render((field) => `--${field}`);
}
