// Importing the kernels layer registers its backends. gpu.js loads lazily (on first use of a
// gpujs backend), so the cpu path never pays for it.
//
// Backend names: pick one with setBackend(name) or BAS_BACKEND=name (float64 always runs on cpu).
//   cpu               plain TypeScript, the reference every other backend is tested against;
//                     cache-blocked 4x4-register-tiled matmul, conv via im2col, a second-core
//                     worker for products over 1M multiply-adds; float32 fast paths for
//                     broadcast binary ops, activations (gelu on a fast erf) and norms
//   gpujs-webasm      hand-emitted SIMD wasm (kernels/simd) for matrix products (operands read in
//                     place through strides), stride-1 convolutions as sums of shifted products
//                     (no im2col), softmax and the exp-based activations, with a second-core
//                     worker; the cpu backend's loops for elementwise ops, reductions, strided
//                     copies and norms over the same host memory; gpu.js's generated WebAssembly
//                     for the rest: the fastest backend on a CPU
//   gpujs-webasm-nosimd  the same with every kernel left to gpu.js (what gpu.js alone reaches)
//   gpujs-headlessgl  gpu.js over headless-gl (needs an X display: `xvfb-run -a`); results stay on
//                     the device as pipeline textures (under Xvfb this is Mesa's software GL)
//   gpujs             gpujs-headlessgl when a GL context exists, else gpujs-webasm
//   gpujs-webgl2, gpujs-webgl, gpujs-gpu   the browser GL modes (gpu: gpu.js picks)
//   gpujs-cpu         gpu.js's own JS-compiled kernels (a test mode)
// Kernels a backend lacks run on cpu transparently (GpuJsBackend delegates over host values).
//
// Memory: device storage is released by dispose(), or by tidy(fn) for everything made inside fn
// except what fn returns or passes to keep() (memory.ts). Wrap a training step in tidy and return
// or keep() the new parameters and optimizer state. Storages never disposed are freed when
// garbage-collected, as a backstop. GpuJsBackend.stats() counts live storages and textures.
// On host-memory modes a disposed kernel output's array is recycled into the next output of its
// length (pool.ts; BAS_POOL_MB caps it), unless Tensor.data handed it out or another storage
// shares it. A loop that hands state from one iteration to the next runs each in a CarryScope.
//
// Environment (the platform's env: process.env in Node, an object in a browser): BAS_BACKEND
// (backend name), BAS_THREADS=1 (no second-core workers), BAS_REQUIRE_GL=1 (tests: a missing GL
// context fails instead of skipping). Workers and gpu.js itself come through the platform too.
import { CpuBackend } from "./cpu/backend.js";
import { GpuJsBackend } from './gpujs/backend.js';
import type { GpuJsMode } from './gpujs/load.js';
import { registerBackend } from './registry.js';

registerBackend('cpu', () => new CpuBackend());
const GPUJS: Record<string, GpuJsMode> = {
  gpujs: 'auto',
  'gpujs-webasm': 'webasm',
  'gpujs-headlessgl': 'headlessgl',
  'gpujs-webgl2': 'webgl2',
  'gpujs-webgl': 'webgl',
  'gpujs-gpu': 'gpu',
  'gpujs-cpu': 'cpu',
};
for (const [name, mode] of Object.entries(GPUJS)) registerBackend(name, () => new GpuJsBackend(name, mode));
registerBackend('gpujs-webasm-nosimd', () => new GpuJsBackend('gpujs-webasm-nosimd', 'webasm', { simd: false }));

export * from './backend.js';
export * from './registry.js';
export * from './types.js';
export { CarryScope, keep, recordMade, release, storagesOf, tidy, unkeep } from './memory.js';
export { clearPool, markExposed, poolStats } from './pool.js';
export { adamwUpdate, type AdamWScalars } from './adamw.js';
export { GpuJsBackend } from './gpujs/backend.js';
export { modeSupported, unsupportedReason, type GpuJsMode } from './gpujs/load.js';
export type { DeviceStats } from './gpujs/runtime.js';
