// The Tensor: a shape, a dtype, contiguous storage owned by a kernel backend, and for autograd the
// node that made it (`grad_fn`). Ops live in ops/; they are also installed as methods (methods.ts).
import { backendFor, HostStorage, keep, markExposed, unkeep, type DType, type Storage, type TypedArray } from '../kernels/index.js';
import { isGradEnabled } from './grad_mode.js';
import { opHooks } from './op_hooks.js';
import { numel, type Shape } from './shape.js';

/** The record an op leaves on its output: its inputs and how to map the output's grad onto them. */
export interface GradFn {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  /** Returns one gradient per input (null where the input needs none), each of the input's shape. */
  backward(grad: Tensor): (Tensor | null)[];
}

export type NestedArray = number | NestedArray[];

let nextId = 0;
/** Storages that assign_ made (uploads and casts): theirs to release on the next assign_. */
const madeByAssign = new WeakSet<Storage>();

export class Tensor {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly dtype: DType;
  requires_grad: boolean;
  grad: Tensor | null = null;
  grad_fn: GradFn | null = null;
  /** Set by `retain_grad()` so that a non-leaf keeps its grad after backward. */
  retains_grad = false;
  private _storage: Storage;

  constructor(storage: Storage, shape: Shape, requires_grad = false) {
    if (storage.size !== numel(shape)) {
      throw new Error(`storage of ${storage.size} elements does not fit shape [${shape.join(', ')}]`);
    }
    this._storage = storage;
    this.shape = Object.freeze([...shape]);
    this.dtype = storage.dtype;
    this.requires_grad = requires_grad;
  }

  get storage(): Storage {
    return this._storage;
  }

  /** Host values, row-major (downloads device storage). Treat as read-only. */
  get data(): TypedArray {
    // handed out: never recycled into a later output (kernels/pool.ts)
    markExposed(this._storage);
    return this._storage.read();
  }

  get ndim(): number {
    return this.shape.length;
  }

  get size(): number {
    return this._storage.size;
  }

  numel(): number {
    return this._storage.size;
  }

  /** A leaf is a tensor no recorded op produced: parameters and user inputs. */
  get is_leaf(): boolean {
    return this.grad_fn === null;
  }

  dim(d: number): number {
    const r = this.shape.length;
    const i = d < 0 ? d + r : d;
    const v = this.shape[i];
    if (v === undefined) throw new RangeError(`dim ${d} out of range for shape [${this.shape.join(', ')}]`);
    return v;
  }

  requires_grad_(flag = true): this {
    if (!this.is_leaf && !flag) throw new Error('requires_grad_(false) is only valid on leaf tensors; use detach()');
    this.requires_grad = flag;
    return this;
  }

  retain_grad(): this {
    this.retains_grad = true;
    return this;
  }

  /** Same values, no history. Shares storage, as torch's detach does. */
  detach(): Tensor {
    return new Tensor(this._storage, this.shape, false);
  }

  /**
   * Replaces the values in place (optimizers, checkpoint loading). Not recorded by autograd.
   * The new storage outlives every `tidy` scope (a parameter updated inside a training step's
   * scope must survive it); a storage that an earlier assign_ made itself (an upload or a cast,
   * never a caller's) is released here, so device memory stays flat across steps. A detached
   * alias of the old values (an old `state_dict()`) must be read before the next update.
   */
  assign_(values: Tensor | TypedArray): this {
    const src = values instanceof Tensor ? values.storage : new HostStorage(values);
    if (src.size !== this.size) throw new Error(`assign_: ${src.size} values into a tensor of ${this.size}`);
    const b = backendFor(this.dtype);
    const next = src.dtype === this.dtype ? (src.backend === b.name ? src : b.upload(src)) : b.cast(src, this.dtype);
    const old = this._storage;
    if (next === old) return this;
    keep(next);
    if (next !== src) madeByAssign.add(next);
    if (madeByAssign.has(old)) {
      madeByAssign.delete(old);
      unkeep(old);
      old.dispose();
    }
    this._storage = next;
    return this;
  }

  item(): number {
    if (this.size !== 1) throw new Error(`item() needs a one-element tensor, got shape [${this.shape.join(', ')}]`);
    return this.data[0]!;
  }

  tolist(): NestedArray {
    const d = this.data;
    const build = (dim: number, off: number): NestedArray => {
      if (dim === this.shape.length) return d[off]!;
      const inner = numel(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, off + i * inner));
    };
    return build(0, 0);
  }

  /** A copy of the host values (safe to mutate). */
  toTypedArray(): TypedArray {
    return this.data.slice();
  }

  toString(): string {
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}${this.grad_fn ? `, grad_fn=${this.grad_fn.name}` : this.requires_grad ? ', requires_grad=true' : ''})`;
  }
}

/**
 * Wraps a kernel's output. When grad is enabled and any input requires it, records `backward` as
 * the output's grad_fn; otherwise the closure is dropped and no graph is kept.
 */
export function fromOp(
  storage: Storage,
  shape: Shape,
  name: string,
  inputs: readonly Tensor[],
  backward: (grad: Tensor) => (Tensor | null)[],
): Tensor {
  const needs = isGradEnabled() && inputs.some((t) => t.requires_grad);
  const out = new Tensor(storage, shape, needs);
  if (needs) out.grad_fn = { name, inputs, backward };
  opHooks?.op(name);
  return out;
}
