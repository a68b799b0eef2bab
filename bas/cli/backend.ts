// `--backend NAME` for every command: an unknown name is bad input, reported as one line.
import { setBackend } from '../../kernels/index.js';
import { InputError } from './errors.js';

export function selectBackend(name: string): void {
  try {
    setBackend(name);
  } catch (e) {
    throw new InputError(`--backend: ${e instanceof Error ? e.message : String(e)}`);
  }
}
