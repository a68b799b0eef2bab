// Recycled float32 arrays for the host-memory backends. Every op allocates its output, and in a
// training step that is gigabytes of ArrayBuffer memory: V8 counts it as external memory and runs
// a full mark-compact each time it grows past a limit (about 30 per default batch-16 step,
// measured with bench/gc_step.ts). A storage that owns its array alone returns it here when it is
// disposed (tidy), and the next output of the same length takes it instead of a fresh allocation.
// An array whose values left through Tensor.data (markExposed) is never recycled: a caller may
// still hold it.
import { getPlatform } from '../platform/platform.js';
import type { Storage } from './types.js';

/** Arrays shorter than this stay with the garbage collector (small ones live on V8's own heap). */
const MIN_LENGTH = 1024;
/**
 * At most this many MiB wait in the pool (BAS_POOL_MB, 0 turns recycling off); past it, released
 * arrays go to the collector. The pool holds what the last step released, so it does not raise
 * the peak: 2 GiB covers a default batch-16 step (~1.1 GiB pooled after one, measured), where
 * 512 MiB still left 13 of the ~30 mark-compacts per step.
 */
const DEFAULT_POOL_MB = 2048;
let maxBytes: number | null = null;

function capBytes(): number {
  if (maxBytes === null) {
    const v = getPlatform().env('BAS_POOL_MB');
    const mb = v === undefined || v === '' ? DEFAULT_POOL_MB : Number(v);
    if (!Number.isFinite(mb) || mb < 0) throw new Error(`BAS_POOL_MB must be a number of MiB >= 0, got "${v}"`);
    maxBytes = mb * 1024 * 1024;
  }
  return maxBytes;
}

const free = new Map<number, Float32Array[]>();
let pooledBytes = 0;
const exposed = new WeakSet<Storage>();
const stats = { taken: 0, reused: 0, recycled: 0 };

/** A float32 array of `n` zeros: a recycled one (zero-filled) when one of that length waits. */
export function takeZeroed(n: number): Float32Array {
  const a = take(n);
  if (a.reused) a.array.fill(0);
  return a.array;
}

/** A float32 array of `n` values for an output that writes every value (contents undefined). */
export function takeFull(n: number): Float32Array {
  return take(n).array;
}

/**
 * Where output arrays come from before the pool and the collector: the SIMD engine's shared memory
 * (simd/heap.ts), so that its kernels read and write them in place. Set by the backend that runs
 * those kernels; null (the default) keeps every array an ordinary one.
 */
export interface ArrayArena {
  /** an array of n values, `reused` when its block held values before (else zeros); null when full */
  tensor(n: number): { array: Float32Array; reused: boolean } | null;
  /** frees an array the arena made; false if it did not make it */
  freeTensor(a: Float32Array): boolean;
}
let arena: ArrayArena | null = null;

export function setArrayArena(a: ArrayArena | null): void {
  arena = a;
}

function take(n: number): { array: Float32Array; reused: boolean } {
  stats.taken++;
  if (arena !== null && n >= MIN_LENGTH) {
    const a = arena.tensor(n);
    if (a) {
      if (a.reused) stats.reused++;
      return a;
    }
  }
  const list = n >= MIN_LENGTH ? free.get(n) : undefined;
  const a = list?.pop();
  if (!a) return { array: new Float32Array(n), reused: false };
  pooledBytes -= a.byteLength;
  stats.reused++;
  return { array: a, reused: true };
}

/** Hands back an array nothing else references (its storage was disposed and never exposed). */
export function recycle(a: Float32Array): void {
  if (arena?.freeTensor(a)) {
    stats.recycled++;
    return;
  }
  if (a.length < MIN_LENGTH || a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength) return;
  if (pooledBytes + a.byteLength > capBytes()) return;
  let list = free.get(a.length);
  if (!list) free.set(a.length, (list = []));
  list.push(a);
  pooledBytes += a.byteLength;
  stats.recycled++;
}

/** Called by Tensor.data: this storage's values were handed out, so they are never recycled. */
export function markExposed(s: Storage): void {
  exposed.add(s);
}

export function isExposed(s: Storage): boolean {
  return exposed.has(s);
}

/** Counts since start, and the bytes waiting now (for the bench and tests). */
export function poolStats(): { taken: number; reused: number; recycled: number; pooled_bytes: number } {
  return { ...stats, pooled_bytes: pooledBytes };
}

/** Drops every waiting array (a process that is done with training) and reads BAS_POOL_MB again on next use. */
export function clearPool(): void {
  free.clear();
  pooledBytes = 0;
  maxBytes = null;
}
