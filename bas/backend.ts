// Choosing a run's kernel backend by name: an unknown name is bad input that names the value, not
// a stack trace (the trainers call this with their config's `backend`).
import { setBackend } from '../kernels/index.js';
import { InputError } from './errors.js';

export function useBackend(name: string): void {
  try {
    setBackend(name);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new InputError((n) => `${n('backend')}: ${why}`);
  }
}
