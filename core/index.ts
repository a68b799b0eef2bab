// The core: Tensor, autograd, ops, seeded randomness and gradcheck. Importing it installs the
// chained methods and registers the kernel backends.
import './methods.js';

export { Tensor, fromOp, type GradFn, type NestedArray } from './tensor.js';
export { backward } from './autograd.js';
export { no_grad, enable_grad, isGradEnabled, setGradEnabled } from './grad_mode.js';
export * from './shape.js';
export * from './ops/creation.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export * from './ops/movement.js';
export * from './ops/linalg.js';
export * from './ops/nn.js';
export * from './random.js';
export * from './gradcheck.js';
export { Profiler, StepProfiler, type ProfileReport, type KernelStat, type OpStat } from './profiler.js';
export { formatProfile } from './profile_table.js';
export { setBackend, getBackend, registerBackend, registeredBackends, tidy, keep, CarryScope, type DType, type TypedArray } from '../kernels/index.js';
