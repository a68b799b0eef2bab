// Loads gpu.js on first use (a synchronous load through the platform: Node's require of its
// CommonJS build, or the browser build a bundle registered, so choosing a backend stays one
// synchronous call) and resolves our backend names to gpu.js modes.
import type * as GpuJs from 'gpu.js';
import { getPlatform } from '../../platform/platform.js';

let mod: typeof GpuJs | null = null;

export function gpujs(): typeof GpuJs {
  if (!mod) mod = getPlatform().loadModule('gpu.js') as typeof GpuJs;
  return mod;
}

/** gpu.js modes we register a backend for; `auto` is ours: headlessgl when a GL context exists, else webasm. */
export type GpuJsMode = 'auto' | 'gpu' | 'headlessgl' | 'webgl2' | 'webgl' | 'webasm' | 'cpu';

export const GL_MODES: ReadonlySet<string> = new Set(['gpu', 'headlessgl', 'webgl2', 'webgl']);

/** Whether gpu.js can run `mode` here; headless-gl needs an X display (xvfb-run -a in CI). */
export function modeSupported(mode: GpuJsMode): boolean {
  const { GPU } = gpujs();
  switch (mode) {
    case 'auto':
    case 'cpu':
      return true;
    case 'webasm':
      return GPU.isWebAssemblySupported;
    case 'headlessgl':
      return GPU.isHeadlessGLSupported;
    case 'webgl2':
      return GPU.isWebGL2Supported;
    case 'webgl':
      return GPU.isWebGLSupported;
    case 'gpu':
      return GPU.isGPUSupported;
  }
}

/** The concrete gpu.js mode `mode` runs as on this machine. */
export function resolveMode(mode: GpuJsMode): Exclude<GpuJsMode, 'auto'> {
  if (mode !== 'auto') return mode;
  const { GPU } = gpujs();
  if (GPU.isHeadlessGLSupported) return 'headlessgl';
  if (GPU.isWebGL2Supported) return 'webgl2';
  if (GPU.isWebAssemblySupported) return 'webasm';
  return 'cpu';
}

/** A reason string when `mode` cannot run, for tests that skip. */
export function unsupportedReason(mode: GpuJsMode): string | null {
  try {
    if (modeSupported(mode)) return null;
  } catch (e) {
    return `gpu.js failed to load: ${(e as Error).message}`;
  }
  if (mode === 'headlessgl') return 'headless-gl has no GL context here (run under `xvfb-run -a`, with the gl package built)';
  return `gpu.js reports mode "${mode}" unsupported in this environment`;
}
