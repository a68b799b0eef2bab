// Choosing the kernel backend in the page's worker: the one asked for, or for `auto` the reader's
// GPU through gpu.js WebGL2, then WebGL1, then webasm (SIMD WebAssembly on the CPU), then the plain
// cpu backend; each candidate must load and multiply a small matrix correctly before it is kept.
// `auto` passes over a software GL (SwiftShader, llvmpipe): on a CPU, webasm is many times faster.
import { matmul, setBackend, tensor } from '../../core/index.js';
import type { BackendChoice } from '../protocol.js';

const AUTO_ORDER = ['gpujs-webgl2', 'gpujs-webgl', 'gpujs-webasm', 'cpu'] as const;

/** null when `name` works here, else why not. */
function tryBackend(name: string): string | null {
  try {
    setBackend(name);
    const a = tensor([1, 2, 3, 4], { shape: [2, 2] });
    const got = Array.from(matmul(a, a).data);
    return got.join() === '7,10,15,22' ? null : `a 2x2 product came out ${got.join(', ')}`;
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }
}

/** The GL renderer's name where the browser tells it (an OffscreenCanvas in this worker), else null. */
function glRenderer(): string | null {
  const Offscreen = (globalThis as { OffscreenCanvas?: new (w: number, h: number) => { getContext(kind: string): unknown } }).OffscreenCanvas;
  if (!Offscreen) return null;
  try {
    const gl = new Offscreen(1, 1).getContext('webgl2') as { getExtension(n: string): { UNMASKED_RENDERER_WEBGL: number } | null; getParameter(p: number): unknown } | null;
    const info = gl?.getExtension('WEBGL_debug_renderer_info');
    return gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : null;
  } catch {
    return null;
  }
}

const SOFTWARE_GL = /swiftshader|llvmpipe|software/i;

/** The backend now selected, and why each earlier candidate was passed over. */
export function chooseBackend(choice: BackendChoice): { name: string; skipped: string[] } {
  const candidates = choice === 'auto' ? AUTO_ORDER : [choice];
  const skipped: string[] = [];
  const renderer = choice === 'auto' ? glRenderer() : null;
  for (const name of candidates) {
    if (name.startsWith('gpujs-webgl') && renderer !== null && SOFTWARE_GL.test(renderer)) {
      skipped.push(`${name}: the GL renderer is software (${renderer}), slower than webasm on this CPU`);
      continue;
    }
    const why = tryBackend(name);
    if (why === null) return { name, skipped };
    skipped.push(`${name}: ${why}`);
  }
  if (choice !== 'auto') throw new Error(`backend ${choice} does not run here (${skipped[0]})`);
  setBackend('cpu');
  return { name: 'cpu', skipped };
}
