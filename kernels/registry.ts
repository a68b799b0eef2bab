// Which backend runs the kernels. One call (`setBackend`) or the BAS_BACKEND environment variable
// picks it; float64 work always runs on cpu, where gradient checks need exact arithmetic.
import { getPlatform } from '../platform/platform.js';
import type { KernelBackend, KernelName } from './backend.js';
import type { DType, Storage } from './types.js';

type Factory = () => KernelBackend;

const factories = new Map<string, Factory>();
const instances = new Map<string, KernelBackend>();
let activeName: string | undefined;
/** A profiler's wrapper around every backend (core/profiler.ts), and the wrapped instances. */
let instrument: ((b: KernelBackend) => KernelBackend) | null = null;
let wrapped = new WeakMap<KernelBackend, KernelBackend>();

export function registerBackend(name: string, factory: Factory): void {
  factories.set(name, factory);
}

export function registeredBackends(): string[] {
  return [...factories.keys()];
}

function instance(name: string): KernelBackend {
  let b = instances.get(name);
  if (!b) {
    const f = factories.get(name);
    if (!f) throw new Error(`unknown backend "${name}"; registered: ${registeredBackends().join(', ')}`);
    b = f();
    instances.set(name, b);
  }
  if (!instrument) return b;
  let w = wrapped.get(b);
  if (!w) wrapped.set(b, (w = instrument(b)));
  return w;
}

/** Routes every kernel call through `wrap(backend)` until called again with null; the op layer
 * asks the registry for its backend on every call, so nothing else needs to know. */
export function setKernelInstrument(wrap: ((b: KernelBackend) => KernelBackend) | null): void {
  instrument = wrap;
  wrapped = new WeakMap();
}

/** Selects the backend for all later float32 kernels. Names: cpu, gpujs, gpujs-webasm, ... */
export function setBackend(name: string): KernelBackend {
  const b = instance(name);
  activeName = name;
  return b;
}

export function getBackend(): KernelBackend {
  if (activeName === undefined) activeName = envBackend() ?? 'cpu';
  return instance(activeName);
}

function envBackend(): string | undefined {
  const v = getPlatform().env('BAS_BACKEND');
  return v && v.length > 0 ? v : undefined;
}

export function cpuBackend(): KernelBackend {
  return instance('cpu');
}

/** The backend that runs `kernel` for `dtype`: the active one if it has it, else cpu. */
export function backendFor(dtype: DType): KernelBackend {
  return dtype === 'float64' ? cpuBackend() : getBackend();
}

/** Bring a storage to the backend about to consume it (a download or an upload when they differ). */
export function onBackend(s: Storage, b: KernelBackend): Storage {
  if (s.backend === b.name) return s;
  return b.upload(s);
}

export type { KernelName };
