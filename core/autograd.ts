// Reverse-mode autodiff: order the graph topologically from the root, then hand each node's
// gradient to its grad_fn and add the results into its inputs' gradients.
import { backendFor, onBackend, recordMade, release, type Storage } from '../kernels/index.js';
import { no_grad } from './grad_mode.js';
import { opHooks } from './op_hooks.js';
import { shapesEqual } from './shape.js';
import { Tensor } from './tensor.js';

function accumulate(prev: Tensor | undefined | null, g: Tensor): Tensor {
  if (!prev) return g;
  const b = backendFor(g.dtype);
  return new Tensor(b.binary('add', onBackend(prev.storage, b), prev.shape, onBackend(g.storage, b), g.shape, g.shape), g.shape);
}

/** A copy with storage of its own, for a tensor's first `.grad`: backward hands one gradient to
 * several inputs (x + y gives both the same g, the seed is the user's tensor), and an in-place
 * update of one `.grad` must not show up in another. */
function own(g: Tensor): Tensor {
  const b = backendFor(g.dtype);
  return new Tensor(b.cast(onBackend(g.storage, b), g.dtype), g.shape);
}

/** Nodes reachable from `root` that need a gradient, children before parents reversed (root first). */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<number>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [t, expanded] = stack.pop()!;
    if (expanded) {
      order.push(t);
      continue;
    }
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    stack.push([t, true]);
    for (const p of t.grad_fn?.inputs ?? []) if (p.requires_grad && !seen.has(p.id)) stack.push([p, false]);
  }
  return order.reverse();
}

export function backward(root: Tensor, gradient?: Tensor): void {
  if (!root.requires_grad) throw new Error('backward() on a tensor that does not require grad (was it made under no_grad, or from leaves without requires_grad?)');
  let seed = gradient;
  if (!seed) {
    if (root.size !== 1) throw new Error(`backward() without a gradient needs a scalar output, got shape [${root.shape.join(', ')}]`);
    seed = new Tensor(backendFor(root.dtype).fill(root.dtype, 1, 1), root.shape);
  }
  if (!shapesEqual(seed.shape, root.shape)) throw new Error(`gradient shape [${seed.shape.join(', ')}] differs from output shape [${root.shape.join(', ')}]`);
  if (seed.dtype !== root.dtype) throw new Error(`gradient dtype ${seed.dtype} differs from output dtype ${root.dtype}`);
  const grads = new Map<number, Tensor>([[root.id, seed.detach()]]);
  opHooks?.enterBackward();
  try {
    runBackward(root, grads);
  } finally {
    opHooks?.exitBackward();
  }
}

/**
 * Gradients flowing between nodes are released as soon as nothing needs them: each node's incoming
 * gradient once its backward has run, and the two addends of an accumulation. Without it a step's
 * backward kept every intermediate gradient alive (in the step's tidy scope) until the step ended.
 * Only storages this backward made are released, and only when no pending gradient shares the
 * storage (backwards may hand g on as it is, or as a reshape of it).
 */
function runBackward(root: Tensor, grads: Map<number, Tensor>): void {
  const made = new Set<Storage>();
  const refs = new Map<Storage, number>();
  const hold = (t: Tensor): void => void refs.set(t.storage, (refs.get(t.storage) ?? 0) + 1);
  const drop = (t: Tensor): void => {
    const n = (refs.get(t.storage) ?? 0) - 1;
    if (n > 0) refs.set(t.storage, n);
    else refs.delete(t.storage);
  };
  const releaseIfFree = (t: Tensor): void => {
    if (made.has(t.storage) && !refs.has(t.storage)) release(t.storage);
  };
  for (const g of grads.values()) hold(g);
  recordMade(made, () =>
    no_grad(() => {
      for (const t of topoOrder(root)) {
        const g = grads.get(t.id);
        if (!g) continue;
        if (t.grad_fn === null || t.retains_grad) {
          t.grad = t.grad ? accumulate(t.grad, g) : own(g);
          // never released here: own() may share g's storage (a backend's cast to its own dtype)
          hold(t.grad);
          if (t.grad_fn === null) continue;
        }
        grads.delete(t.id);
        drop(g);
        opHooks?.nodeBegin(t.grad_fn.name);
        const inGrads = t.grad_fn.backward(g);
        opHooks?.nodeEnd(t.grad_fn.name);
        const freed: Tensor[] = [g];
        t.grad_fn.inputs.forEach((inp, i) => {
          const gi = inGrads[i];
          if (!gi || !inp.requires_grad) return;
          if (!shapesEqual(gi.shape, inp.shape)) {
            throw new Error(`${t.grad_fn!.name} backward gave a gradient of shape [${gi.shape.join(', ')}] for an input of shape [${inp.shape.join(', ')}]`);
          }
          const prev = grads.get(inp.id);
          const sum = accumulate(prev, gi);
          if (prev) {
            drop(prev);
            freed.push(prev, gi);
          }
          grads.set(inp.id, sum);
          hold(sum);
        });
        for (const f of freed) releaseIfFree(f);
      }
    }),
  );
}
