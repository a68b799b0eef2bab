// One gpu.js instance per backend: compiles kernels from generated sources (cached by source,
// LRU-bounded), runs them, and moves data between host arrays and pipeline textures. Counts the
// device bytes it holds so tests can assert that training steps do not grow them.
import type { GPU, IGPUKernelSettings, IKernelRunShortcut, KernelOutput, Texture } from 'gpu.js';
import type { KernelSource } from './codegen.js';
import { identitySource } from './codegen.js';
import { gpujs, GL_MODES, resolveMode, type GpuJsMode } from './load.js';
import { GpuStorage, type TextureOwner } from './storage.js';

/**
 * Compiled kernels kept per host-mode backend (webasm, cpu); past this the least recently used is
 * destroyed. GL modes never evict: gpu.js reads a texture back through the kernel that made it,
 * and a destroyed GL kernel deletes textures from its cache and breaks the shared context. The
 * GL cache is bounded by the distinct shapes a program runs (constant across training steps);
 * each GL kernel also holds one output texture of its own (gpu.js's), counted in glTextures.
 */
const KERNEL_CACHE = 256;

interface Entry {
  k: IKernelRunShortcut;
}

export interface DeviceStats {
  /** storages made by this backend and not yet disposed (host or device) */
  storages: number;
  /** storages made and never disposed, whether alive or since reclaimed by the garbage collector:
   * unlike `storages` it does not depend on when the collector runs, so a loop that releases
   * what it makes (tidy) keeps it exactly flat */
  undisposed: number;
  /** pipeline textures held by live storages */
  textures: number;
  bytes: number;
  /** GL textures alive in the context (all of gpu.js's, including kernels' own outputs); -1 off GL */
  glTextures: number;
  /**
   * What the garbage collector has released so far (textures, bytes, GL textures of storages it
   * finalized undisposed). Added to the live counts above they give counts that do not depend on
   * when the collector runs: what was made minus what dispose() released.
   */
  finalized: { textures: number; bytes: number; glTextures: number };
  kernels: number;
}

type KernelArg = Float32Array | Texture | number;

export class GpuJsRuntime implements TextureOwner {
  readonly mode: Exclude<GpuJsMode, 'auto'>;
  readonly gl: boolean;
  private readonly gpu: GPU;
  private readonly kernels = new Map<string, Entry>();
  private textures = 0;
  private storages = 0;
  private undisposed = 0;
  private bytes = 0;
  private glTextures = -1;
  private readonly finalized = { textures: 0, bytes: 0, glTextures: 0 };
  /** set while a finalizer deletes a texture, so the GL deletions it causes are counted apart */
  private reclaiming = false;
  private countedContext: unknown = null;

  constructor(mode: GpuJsMode, readonly backendName: string) {
    this.mode = resolveMode(mode);
    this.gl = GL_MODES.has(this.mode);
    const { GPU } = gpujs();
    this.gpu = new GPU({ mode: this.mode });
  }

  stats(): DeviceStats {
    return { storages: this.storages, undisposed: this.undisposed, textures: this.textures, bytes: this.bytes, glTextures: this.glTextures, finalized: { ...this.finalized }, kernels: this.kernels.size };
  }

  born(): void {
    this.storages++;
    this.undisposed++;
  }

  died(finalized: boolean): void {
    this.storages--;
    if (!finalized) this.undisposed--;
  }

  allocated(bytes: number): void {
    this.textures++;
    this.bytes += bytes;
  }

  released(bytes: number): void {
    this.textures--;
    this.bytes -= bytes;
  }

  reclaim(tex: Texture, bytes: number): void {
    this.reclaiming = true;
    try {
      tex.delete();
    } finally {
      this.reclaiming = false;
    }
    this.released(bytes);
    this.finalized.textures++;
    this.finalized.bytes += bytes;
  }

  /** Wraps the GL context once so that texture creation and deletion are counted. */
  private countTextures(kernel: IKernelRunShortcut): void {
    const ctx = (kernel.kernel as { context?: WebGLRenderingContext }).context;
    if (!this.gl || !ctx || this.countedContext === ctx) return;
    this.countedContext = ctx;
    this.glTextures = 0;
    const create = ctx.createTexture.bind(ctx);
    const del = ctx.deleteTexture.bind(ctx);
    ctx.createTexture = (): WebGLTexture => {
      this.glTextures++;
      return create();
    };
    ctx.deleteTexture = (t: WebGLTexture | null): void => {
      if (t) {
        this.glTextures--;
        if (this.reclaiming) this.finalized.glTextures++;
      }
      del(t);
    };
  }

  /** A compiled kernel per (source, output size, input sizes): gpu.js bakes sizes into a kernel. */
  private kernel(src: KernelSource, inputSizes: readonly number[]): Entry {
    const key = `${src.size}|${inputSizes.join(',')}|${src.source}`;
    let e = this.kernels.get(key);
    if (e) {
      this.kernels.delete(key);
      this.kernels.set(key, e);
      return e;
    }
    const settings: IGPUKernelSettings & { loopMaxIterations: number } = {
      output: [src.size],
      pipeline: this.gl,
      // a fresh texture per call: without it the kernel reuses (overwrites) its output texture
      immutable: this.gl,
      precision: 'single',
      tactic: 'precision',
      dynamicOutput: false,
      dynamicArguments: false,
      loopMaxIterations: 1 << 24,
    };
    e = { k: this.gpu.createKernel(src.source, settings) };
    this.kernels.set(key, e);
    while (!this.gl && this.kernels.size > KERNEL_CACHE) {
      const [oldKey, old] = this.kernels.entries().next().value as [string, Entry];
      this.kernels.delete(oldKey);
      old.k.destroy();
    }
    return e;
  }

  /** Runs a generated kernel over storages (and scalar arguments) and wraps its output. */
  run(src: KernelSource, inputs: readonly (GpuStorage | Float32Array | number)[]): GpuStorage {
    const e = this.kernel(src, inputs.map((s) => (typeof s === 'number' ? 0 : s instanceof Float32Array ? s.length : s.size)));
    const k = e.k;
    const args: KernelArg[] = inputs.map((s) => (s instanceof GpuStorage ? (this.gl ? s.texture() : s.read()) : s instanceof Float32Array && this.gl ? this.upload(s) : s));
    const out = (k as unknown as (...a: KernelArg[]) => KernelOutput | Texture)(...args);
    this.countTextures(k);
    // index arrays uploaded just for this call
    if (this.gl) inputs.forEach((s, i) => {
      if (s instanceof Float32Array) (args[i] as Texture).delete();
    });
    if (this.gl) return new GpuStorage(this.backendName, src.size, this, null, out as Texture);
    let host = out as Float32Array;
    // gpu.js's cpu mode may hand back its own reused buffer
    if (this.mode === 'cpu' || host.length !== src.size) host = Float32Array.from(host.subarray(0, src.size));
    return new GpuStorage(this.backendName, src.size, this, host, null);
  }

  /** Wraps host values (uploaded lazily, when a GL kernel first reads them); `owned`: nothing else
   * references them (a kernel's fresh output), so the pool may take them back on dispose. */
  wrap(host: Float32Array, owned = false): GpuStorage {
    return new GpuStorage(this.backendName, host.length, this, host, null, owned && !this.gl);
  }

  upload(host: Float32Array): Texture {
    const e = this.kernel(identitySource(host.length), [host.length]);
    const tex = (e.k as unknown as (a: Float32Array) => Texture)(host);
    this.countTextures(e.k);
    return tex;
  }

  download(tex: Texture, size: number): Float32Array {
    const v = tex.toArray() as Float32Array;
    return v.length === size ? v : Float32Array.from(v.subarray(0, size));
  }

  destroy(): void {
    for (const e of this.kernels.values()) e.k.destroy();
    this.kernels.clear();
  }
}
