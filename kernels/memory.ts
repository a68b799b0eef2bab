// Deterministic release of backend memory. JS has no destructors, so device storage (gpu.js
// pipeline textures) is freed by scopes, as in TF.js's tidy: every storage a device backend makes
// while a scope is open belongs to that scope and is disposed when it closes, unless it is part
// of the scope's return value or was passed to `keep`. A training step wrapped in `tidy` that
// returns (or keeps) the new parameters and optimizer state leaves nothing else behind.
import type { Storage } from './types.js';

const scopes: Set<Storage>[] = [];
const kept = new WeakSet<Storage>();

/** Sets that also collect every tracked storage made while they are open (recordMade). */
const recorders: Set<Storage>[] = [];

/** Called by backends for every storage that holds releasable memory. */
export function track(s: Storage): void {
  const top = scopes[scopes.length - 1];
  if (top && !kept.has(s)) top.add(s);
  for (const r of recorders) r.add(s);
}

/** Runs `fn` and collects the releasable storages made meanwhile into `into` (autograd's backward
 * releases the gradients it made once nothing needs them). */
export function recordMade<T>(into: Set<Storage>, fn: () => T): T {
  recorders.push(into);
  try {
    return fn();
  } finally {
    recorders.splice(recorders.lastIndexOf(into), 1);
  }
}

function isStorage(v: unknown): v is Storage {
  return typeof v === 'object' && v !== null && typeof (v as Storage).read === 'function' && typeof (v as Storage).dispose === 'function' && 'backend' in v;
}

/** Storages inside `v`: Storage values, objects with a `storage` (a Tensor), arrays and plain objects, 3 levels deep. */
function collect(v: unknown, into: Set<Storage>, depth = 0): void {
  if (depth > 3 || typeof v !== 'object' || v === null) return;
  if (isStorage(v)) {
    into.add(v);
    return;
  }
  const s = (v as { storage?: unknown }).storage;
  if (isStorage(s)) {
    into.add(s);
    return;
  }
  if (Array.isArray(v)) for (const x of v) collect(x, into, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype || v instanceof Map) {
    for (const x of v instanceof Map ? v.values() : Object.values(v)) collect(x, into, depth + 1);
  }
}

/**
 * Runs `fn` in a scope; on return (or throw) disposes every storage made inside it except those
 * reachable from the result, which move to the enclosing scope.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Storage>();
  scopes.push(scope);
  let result: T | undefined;
  try {
    result = fn();
    return result;
  } finally {
    scopes.pop();
    const survivors = new Set<Storage>();
    collect(result, survivors);
    const parent = scopes[scopes.length - 1];
    for (const s of scope) {
      if (survivors.has(s) || kept.has(s)) {
        if (parent && !kept.has(s)) parent.add(s);
      } else {
        s.dispose();
      }
    }
  }
}

/** Exempts storages (or tensors' storages) in `v` from every open and future scope's cleanup. */
export function keep<T>(v: T): T {
  const found = new Set<Storage>();
  collect(v, found);
  for (const s of found) {
    kept.add(s);
    for (const scope of scopes) scope.delete(s);
  }
  return v;
}

/** Undoes `keep`, so an explicit dispose or a later scope may release it. */
export function unkeep(s: Storage): void {
  kept.delete(s);
}

/** The storages reachable from `v` (tensors, storages, arrays, plain objects, 3 levels deep). */
export function storagesOf(v: unknown): Set<Storage> {
  const found = new Set<Storage>();
  collect(v, found);
  return found;
}

/** Disposes the storages in `v` now, unless kept, and drops them from every open scope. */
export function release(v: unknown): void {
  for (const s of storagesOf(v)) {
    if (kept.has(s)) continue;
    for (const scope of scopes) scope.delete(s);
    s.dispose();
  }
}

/**
 * One scope per iteration of a loop that carries state from one iteration to the next (a
 * sampler's latents): `step(fn)` runs fn in tidy, so everything the iteration made but its result
 * is released, and then also releases what earlier iterations made and handed on that this
 * result no longer holds (the previous latents). Storages made outside the loop are never
 * released here, even when an iteration returns them.
 */
export class CarryScope {
  /** storages that earlier iterations made and handed on */
  private carried = new Set<Storage>();

  step<T>(fn: () => T): T {
    const inner: { made: Set<Storage> } = { made: new Set() };
    const result = tidy(() => {
      inner.made = scopes[scopes.length - 1]!;
      return fn();
    });
    const now = storagesOf(result);
    const next = new Set<Storage>();
    for (const s of now) if (inner.made.has(s) || this.carried.has(s)) next.add(s);
    for (const s of this.carried) if (!now.has(s)) release(s);
    this.carried = next;
    return result;
  }
}
