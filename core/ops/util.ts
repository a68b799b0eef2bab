// Shared plumbing of the op layer: which backend runs a dtype and how a tensor's storage reaches it.
import { backendFor, onBackend, type KernelBackend, type Storage } from '../../kernels/index.js';
import type { Tensor } from '../tensor.js';

export function backendOf(t: Tensor): KernelBackend {
  return backendFor(t.dtype);
}

/** The tensor's storage on backend `b` (an upload or download when it lives elsewhere). */
export function on(t: Tensor, b: KernelBackend): Storage {
  return onBackend(t.storage, b);
}
