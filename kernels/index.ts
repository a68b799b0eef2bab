// Importing the kernels layer registers its backends. gpu.js backends load gpu.js lazily, so the
// cpu path never pays for it.
import { CpuBackend } from './cpu/backend.js';
import { registerBackend } from './registry.js';

registerBackend('cpu', () => new CpuBackend());

export * from './backend.js';
export * from './registry.js';
export * from './types.js';
