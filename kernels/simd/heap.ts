// The SIMD engine's memory as an allocator. Bytes [0, reserved) hold the job tables; above them
// blocks of whole cache lines are handed out bump-first and reused by exact size once freed, the
// way a training loop asks for the same sizes step after step. Two kinds of blocks live here: the
// kernels' scratch (one block, replaced by a larger one when a call needs more), and, when the
// memory is shared, tensors' own arrays: a Float32Array viewing a block, which the products, maps
// and softmax read and write in place instead of copying in and out (a shared memory never moves
// or detaches when it grows, so such views stay valid). A view's block is freed when its storage
// is disposed (`free`) or, if it was never freed that way, when the view itself is collected.
import { PAGE } from './gemm_module.js';

/** Block sizes are whole 64-byte lines, so a SIMD loop's last partial quad stays inside its block. */
const LINE = 64;
/**
 * Bytes always mapped past the highest block. The GEMM reads up to 3 rows past a row-major A and 8
 * floats past B's last row (values that reach only C entries it never stores); with this margin
 * those reads stay inside the memory whatever block is the last.
 */
export const GUARD = 1 << 20;

const roundLine = (bytes: number): number => Math.ceil(bytes / LINE) * LINE;

export class WasmHeap {
  private top: number;
  /** free blocks by size, and by where they start and end (to merge neighbours as they are freed) */
  private readonly bySize = new Map<number, Set<number>>();
  private readonly starts = new Map<number, number>();
  private readonly ends = new Map<number, number>();
  /** address and size of each live tensor view, to read a view's address and to free it once */
  private readonly views = new WeakMap<Float32Array, { at: number; bytes: number }>();
  private readonly collected = new FinalizationRegistry<{ at: number; bytes: number }>((b) => this.releaseTensor(b));
  /** memory at and above this address was never handed out (still zeros); whether the last block was below it */
  private freshFrom = 0;
  private lastReused = false;
  private scratchAt = 0;
  private scratchBytes = 0;
  /** bytes held by tensor views now, and at most (tensorCap) */
  private tensorBytes = 0;
  private readonly stats = { views: 0, reused: 0, refused: 0, peak_top: 0, peak_tensor_bytes: 0 };

  /**
   * `tensorCap`: bytes tensors may hold in all (0: none, so only scratch lives here; a memory that
   * is not shared must pass 0, as growing it would detach every view).
   */
  constructor(readonly memory: WebAssembly.Memory, reserved: number, private readonly maxBytes: number, private readonly tensorCap: number) {
    this.top = roundLine(reserved);
  }

  private addFree(at: number, size: number): void {
    let set = this.bySize.get(size);
    if (!set) this.bySize.set(size, (set = new Set()));
    set.add(at);
    this.starts.set(at, size);
    this.ends.set(at + size, at);
  }

  private removeFree(at: number, size: number): void {
    const set = this.bySize.get(size)!;
    set.delete(at);
    if (set.size === 0) this.bySize.delete(size);
    this.starts.delete(at);
    this.ends.delete(at + size);
  }

  /**
   * `bytes` (rounded to lines): a free block of that size, else the front of the smallest larger
   * one, else fresh memory at the top; null when the memory cannot grow that far.
   */
  private alloc(bytes: number): number | null {
    const size = roundLine(Math.max(bytes, 1));
    const at = this.place(size);
    if (at !== null) {
      this.lastReused = at < this.freshFrom;
      this.freshFrom = Math.max(this.freshFrom, at + size);
    }
    return at;
  }

  private place(size: number): number | null {
    let fit = this.bySize.has(size) ? size : 0;
    if (fit === 0) for (const s of this.bySize.keys()) if (s > size && (fit === 0 || s < fit)) fit = s;
    if (fit > 0) {
      const at = this.bySize.get(fit)!.values().next().value as number;
      this.removeFree(at, fit);
      if (fit > size) this.addFree(at + size, fit - size);
      return at;
    }
    const end = this.top + size;
    if (end + GUARD > this.maxBytes) return null;
    const have = this.memory.buffer.byteLength;
    if (end + GUARD > have) this.memory.grow(Math.ceil((end + GUARD - have) / PAGE));
    const at = this.top;
    this.top = end;
    this.stats.peak_top = Math.max(this.stats.peak_top, end);
    return at;
  }

  /** Frees a block, merged with free neighbours; a free block that reaches the top lowers it. */
  private release(at: number, bytes: number): void {
    let start = at;
    let size = roundLine(Math.max(bytes, 1));
    const before = this.ends.get(start);
    if (before !== undefined) {
      const s = this.starts.get(before)!;
      this.removeFree(before, s);
      start = before;
      size += s;
    }
    const afterSize = this.starts.get(start + size);
    if (afterSize !== undefined) {
      this.removeFree(start + size, afterSize);
      size += afterSize;
    }
    if (start + size === this.top) this.top = start;
    else this.addFree(start, size);
  }

  private releaseTensor(block: { at: number; bytes: number }): void {
    this.release(block.at, block.bytes);
    this.tensorBytes -= block.bytes;
  }

  /** The byte address of a scratch block of at least `bytes`, valid until the next call. */
  scratch(bytes: number): number {
    if (bytes <= this.scratchBytes) return this.scratchAt;
    if (this.scratchBytes > 0) this.release(this.scratchAt, this.scratchBytes);
    // powers of two, so that a slowly growing need does not leave a trail of odd sizes
    const size = Math.max(1 << 16, 2 ** Math.ceil(Math.log2(bytes)));
    const at = this.alloc(size);
    if (at === null) throw new Error(`SIMD scratch: ${size} bytes do not fit the engine's ${this.maxBytes} byte memory`);
    this.scratchAt = at;
    this.scratchBytes = size;
    return at;
  }

  /**
   * A float32 view of `n` values in this memory for a tensor, `reused` when its block held values
   * before (a fresh one is zeros); null when the memory is not shared, the cap is reached or it is full.
   */
  tensor(n: number): { array: Float32Array; reused: boolean } | null {
    const size = roundLine(n * 4);
    if (this.tensorCap === 0 || this.tensorBytes + size > this.tensorCap) {
      this.stats.refused++;
      return null;
    }
    const at = this.alloc(size);
    if (at === null) {
      this.stats.refused++;
      return null;
    }
    const reused = this.lastReused;
    if (reused) this.stats.reused++;
    this.tensorBytes += size;
    this.stats.peak_tensor_bytes = Math.max(this.stats.peak_tensor_bytes, this.tensorBytes);
    this.stats.views++;
    const array = new Float32Array(this.memory.buffer, at, n);
    const block = { at, bytes: size };
    this.views.set(array, block);
    this.collected.register(array, block, array);
    return { array, reused };
  }

  get tensorCapacity(): number {
    return this.tensorCap;
  }

  /** The byte address of a tensor view made here (not of a subarray of one); null otherwise. */
  addressOf(a: Float32Array): number | null {
    return this.views.get(a)?.at ?? null;
  }

  /** Frees a view made here that nothing else references; false if `a` is not one. */
  freeTensor(a: Float32Array): boolean {
    const block = this.views.get(a);
    if (!block) return false;
    this.views.delete(a);
    this.collected.unregister(a);
    this.releaseTensor(block);
    return true;
  }

  /** Counts since start and bytes held now (for tests and benches). */
  usage(): { views: number; reused: number; refused: number; peak_top: number; peak_tensor_bytes: number; tensor_bytes: number; top: number } {
    return { ...this.stats, tensor_bytes: this.tensorBytes, top: this.top };
  }
}
