import { setBackend, getBackend, type KernelBackend } from '../../kernels/index.js';

/** The registry's instance of `name`, without changing the active backend. */
export function getBackendInstance(name: string): KernelBackend {
  const prev = getBackend().name;
  const b = setBackend(name);
  setBackend(prev);
  return b;
}
