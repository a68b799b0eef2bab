// Module, as torch.nn.Module: parameters, buffers and child modules under dotted names, so that a
// state dict reads like PyTorch's (`down_blocks.0.resnets.1.conv1.weight`). Registration is
// explicit (register_parameter / register_buffer / add_module); the order of registration is the
// order of enumeration, as in PyTorch, which is what makes key lists comparable with diffusers.
import { default_generator, type DType, type Generator, type Shape, Tensor } from '../core/index.js';

/** Construction options shared by every layer: the dtype of its parameters and the init RNG. */
export interface ModuleOptions {
  dtype?: DType;
  /** Draws the initial weights; defaults to the process-wide generator (torch's default). */
  generator?: Generator;
}

export type StateDict = Record<string, Tensor>;

export interface LoadResult {
  missing_keys: string[];
  unexpected_keys: string[];
}

export interface ShapeMismatch {
  key: string;
  expected: readonly number[];
  got: readonly number[];
}

/** Raised by load_state_dict; lists every problem at once, so one run shows the whole diff. */
export class StateDictError extends Error {
  constructor(
    readonly missing_keys: string[],
    readonly unexpected_keys: string[],
    readonly mismatched: ShapeMismatch[],
  ) {
    const parts: string[] = [];
    if (missing_keys.length) parts.push(`missing keys (${missing_keys.length}): ${missing_keys.join(', ')}`);
    if (unexpected_keys.length) parts.push(`unexpected keys (${unexpected_keys.length}): ${unexpected_keys.join(', ')}`);
    if (mismatched.length) {
      const m = mismatched.map((s) => `${s.key} (expected [${s.expected.join(', ')}], got [${s.got.join(', ')}])`);
      parts.push(`mis-shaped keys (${mismatched.length}): ${m.join(', ')}`);
    }
    super(`error(s) in load_state_dict:\n  ${parts.join('\n  ')}`);
    this.name = 'StateDictError';
  }
}

function checkName(name: string, what: string): void {
  if (name.length === 0 || name.includes('.')) throw new Error(`${what} name "${name}" must be non-empty and contain no "."`);
}

const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

export class Module {
  training = true;
  private readonly _parameters = new Map<string, Tensor>();
  private readonly _buffers = new Map<string, { tensor: Tensor; persistent: boolean }>();
  private readonly _modules = new Map<string, Module>();

  /** Registers (or replaces, keeping its place) a parameter; it becomes a leaf that requires grad. */
  register_parameter(name: string, t: Tensor): Tensor {
    checkName(name, 'parameter');
    if (this._modules.has(name) || this._buffers.has(name)) throw new Error(`"${name}" is already a module or buffer`);
    if (!t.is_leaf) throw new Error(`parameter "${name}" must be a leaf tensor (detach() it first)`);
    t.requires_grad = true;
    this._parameters.set(name, t);
    return t;
  }

  /** A buffer is state that is not trained; non-persistent ones stay out of the state dict. */
  register_buffer(name: string, t: Tensor, persistent = true): Tensor {
    checkName(name, 'buffer');
    if (this._modules.has(name) || this._parameters.has(name)) throw new Error(`"${name}" is already a module or parameter`);
    this._buffers.set(name, { tensor: t, persistent });
    return t;
  }

  add_module<M extends Module>(name: string, m: M): M {
    checkName(name, 'module');
    if (this._parameters.has(name) || this._buffers.has(name)) throw new Error(`"${name}" is already a parameter or buffer`);
    this._modules.set(name, m);
    return m;
  }

  named_children(): [string, Module][] {
    return [...this._modules.entries()];
  }

  children(): Module[] {
    return [...this._modules.values()];
  }

  /** This module and every descendant, depth first in registration order (torch's order). */
  named_modules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const walk = (m: Module, name: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [n, c] of m._modules) walk(c, name ? `${name}.${n}` : n);
    };
    walk(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.named_modules().map(([, m]) => m);
  }

  named_parameters(prefix = '', recurse = true): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods: [string, Module][] = recurse ? this.named_modules(prefix) : [[prefix, this]];
    for (const [mn, m] of mods) {
      for (const [n, p] of m._parameters) {
        if (seen.has(p)) continue; // shared (tied) parameters are listed once, as in torch
        seen.add(p);
        out.push([mn ? `${mn}.${n}` : n, p]);
      }
    }
    return out;
  }

  parameters(recurse = true): Tensor[] {
    return this.named_parameters('', recurse).map(([, p]) => p);
  }

  named_buffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [mn, m] of this.named_modules(prefix)) for (const [n, b] of m._buffers) out.push([mn ? `${mn}.${n}` : n, b.tensor]);
    return out;
  }

  /** Total number of parameter elements. */
  num_parameters(only_trainable = false): number {
    return this.parameters().reduce((s, p) => s + (only_trainable && !p.requires_grad ? 0 : p.size), 0);
  }

  /** Parameters and persistent buffers, detached, per module: its parameters, its buffers, then children. */
  state_dict(): StateDict {
    const out: StateDict = {};
    for (const [mn, m] of this.named_modules()) {
      const key = (n: string): string => (mn ? `${mn}.${n}` : n);
      for (const [n, p] of m._parameters) out[key(n)] = p.detach();
      for (const [n, b] of m._buffers) if (b.persistent) out[key(n)] = b.tensor.detach();
    }
    return out;
  }

  /**
   * Copies values in place (parameters keep their identity, so optimizers stay valid). Checks
   * everything before touching anything: mis-shaped keys always fail; missing and unexpected keys
   * fail when strict. Values are cast to each parameter's dtype.
   */
  load_state_dict(sd: StateDict | Map<string, Tensor>, strict = true): LoadResult {
    const given = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const own = new Map<string, Tensor>();
    for (const [mn, m] of this.named_modules()) {
      const key = (n: string): string => (mn ? `${mn}.${n}` : n);
      for (const [n, p] of m._parameters) own.set(key(n), p);
      for (const [n, b] of m._buffers) if (b.persistent) own.set(key(n), b.tensor);
    }
    const missing = [...own.keys()].filter((k) => !given.has(k));
    const unexpected = [...given.keys()].filter((k) => !own.has(k));
    const mismatched: ShapeMismatch[] = [];
    for (const [k, t] of own) {
      const v = given.get(k);
      if (v && !sameShape(v.shape, t.shape)) mismatched.push({ key: k, expected: t.shape, got: v.shape });
    }
    if (mismatched.length || (strict && (missing.length || unexpected.length))) {
      throw new StateDictError(strict ? missing : [], strict ? unexpected : [], mismatched);
    }
    for (const [k, t] of own) {
      const v = given.get(k);
      if (v) t.assign_(v);
    }
    return { missing_keys: missing, unexpected_keys: unexpected };
  }

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  requires_grad_(flag = true): this {
    for (const p of this.parameters()) p.requires_grad = flag;
    return this;
  }

  /** Drops every parameter's grad (torch's default set_to_none=True). */
  zero_grad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** The module at a dotted path ('' is this module). */
  get_submodule(target: string): Module {
    if (target === '') return this;
    let m: Module = this;
    for (const part of target.split('.')) {
      const c = m._modules.get(part);
      if (!c) throw new Error(`no submodule "${part}" on the way to "${target}"`);
      m = c;
    }
    return m;
  }

  get_parameter(target: string): Tensor {
    const at = target.lastIndexOf('.');
    const owner = this.get_submodule(at < 0 ? '' : target.slice(0, at));
    const p = owner._parameters.get(target.slice(at + 1));
    if (!p) throw new Error(`no parameter "${target}"`);
    return p;
  }
}

/** torch.nn.ModuleList: children named 0, 1, 2, ... so keys read `resnets.1.conv1.weight`. */
export class ModuleList<M extends Module = Module> extends Module implements Iterable<M> {
  private readonly items: M[] = [];

  constructor(items: Iterable<M> = []) {
    super();
    for (const m of items) this.push(m);
  }

  push(m: M): M {
    this.add_module(String(this.items.length), m);
    this.items.push(m);
    return m;
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): M {
    const m = this.items[i < 0 ? i + this.items.length : i];
    if (!m) throw new RangeError(`ModuleList index ${i} out of range (length ${this.items.length})`);
    return m;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }

  map<T>(f: (m: M, i: number) => T): T[] {
    return this.items.map(f);
  }
}

export function generatorOf(opts: ModuleOptions): Generator {
  return opts.generator ?? default_generator;
}
