// Which backends the kernel tests run against, and why one is skipped. headless-gl needs an X
// display: CI runs the suite under `xvfb-run -a`; BAS_REQUIRE_GL=1 turns a missing GL context
// into a failure instead of a skip, so CI cannot pass by silently skipping the GL tests.
import { getBackendInstance } from './instance.js';
import { unsupportedReason, type GpuJsMode } from '../../kernels/index.js';

export interface BackendCase {
  name: string;
  mode: GpuJsMode;
  /** null when it runs here */
  skip: string | null;
  /** fast-check runs per property (GL compiles a shader per shape, so fewer there) */
  runs: number;
}

const CASES: readonly [string, GpuJsMode, number][] = [
  ['gpujs-webasm', 'webasm', 40],
  ['gpujs-cpu', 'cpu', 15],
  ['gpujs-headlessgl', 'headlessgl', 12],
];

export function backendCases(): BackendCase[] {
  return CASES.map(([name, mode, runs]) => {
    let skip = unsupportedReason(mode);
    if (skip && mode === 'headlessgl' && process.env['BAS_REQUIRE_GL'] === '1') {
      throw new Error(`BAS_REQUIRE_GL=1 but ${skip}`);
    }
    if (skip) console.log(`[kernels] skipping ${name}: ${skip}`);
    else getBackendInstance(name); // fail early if it cannot be built
    skip = skip ?? null;
    return { name, mode, skip, runs };
  });
}
