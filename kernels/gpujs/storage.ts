// Storage of the gpu.js backends. In GL modes it holds a pipeline texture and downloads only on
// read() (then keeps the host copy: storages are immutable once made); in host modes (webasm, cpu)
// it holds the Float32Array. dispose() frees it and later reads throw, so a missed `keep` shows up
// on the CPU too, not only on a GPU. Release is deterministic through dispose()/tidy(); as a
// backstop, a storage that becomes unreachable without being disposed frees its texture when the
// garbage collector finalizes it.
import type { Texture } from 'gpu.js';
import { track } from '../memory.js';
import { isExposed, recycle } from '../pool.js';
import type { DType, Storage } from '../types.js';

export interface TextureOwner {
  download(tex: Texture, size: number): Float32Array;
  upload(host: Float32Array): Texture;
  released(bytes: number): void;
  /** Deletes the texture of a storage the garbage collector reclaimed undisposed, counted apart. */
  reclaim(tex: Texture, bytes: number): void;
  allocated(bytes: number): void;
  /** live-storage count, host or device */
  born(): void;
  /** `finalized`: reclaimed by the garbage collector, never disposed */
  died(finalized: boolean): void;
}

/** What the finalizer needs to release a storage it never saw disposed (no reference back to it). */
interface Held {
  owner: TextureOwner;
  tex: Texture | null;
  bytes: number;
}

const finalizer = new FinalizationRegistry<Held>((h) => {
  h.owner.died(true);
  if (h.tex) h.owner.reclaim(h.tex, h.bytes);
});

export class GpuStorage implements Storage {
  readonly dtype: DType = 'float32';
  private host: Float32Array | null;
  private readonly held: Held;
  private disposed = false;

  /** `recyclable`: the storage alone references `host` (a kernel's fresh output), so dispose() may
   * hand it to the pool unless Tensor.data gave it out. */
  constructor(readonly backend: string, readonly size: number, private readonly owner: TextureOwner, host: Float32Array | null, tex: Texture | null, private readonly recyclable = false) {
    this.host = host;
    this.held = { owner, tex, bytes: size * 4 };
    if (tex) owner.allocated(size * 4);
    owner.born();
    finalizer.register(this, this.held, this);
    track(this);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Whether the values live on the device (no host copy made yet). */
  get onDevice(): boolean {
    return this.held.tex !== null && this.host === null;
  }

  read(): Float32Array {
    if (this.disposed) throw new Error('read of a disposed storage (was it released by tidy() without keep()?)');
    if (!this.host) this.host = this.owner.download(this.held.tex!, this.size);
    return this.host;
  }

  /** The device texture, uploading the host values on first use. */
  texture(): Texture {
    if (this.disposed) throw new Error('use of a disposed storage (was it released by tidy() without keep()?)');
    if (!this.held.tex) {
      this.held.tex = this.owner.upload(this.host!);
      this.owner.allocated(this.size * 4);
    }
    return this.held.tex;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    finalizer.unregister(this);
    this.owner.died(false);
    if (this.held.tex) {
      this.held.tex.delete();
      this.owner.released(this.size * 4);
      this.held.tex = null;
    }
    if (this.recyclable && this.host && !isExposed(this)) recycle(this.host);
    this.host = null;
  }
}
