// A FLOP counter for the model's own arithmetic: Linear, Conv2d and the two attention bmms count
// 2 FLOPs per multiply-add while a count is open. Norms, activations and other elementwise work
// are left out (they are O(size), small beside the products). The usual estimate of forward +
// backward is 3x the forward count (backward computes two products per forward one).
let open: number | null = null;

/** Called by the layers; a no-op unless `countingFlops` is running. */
export function countFlops(n: number): void {
  if (open !== null) open += n;
}

/** Runs `fn` and returns its result with the FLOPs the layers counted inside it. */
export function countingFlops<T>(fn: () => T): { result: T; flops: number } {
  const prev = open;
  open = 0;
  try {
    const result = fn();
    return { result, flops: open };
  } finally {
    // nested counts also add into the enclosing one
    const inner = open ?? 0;
    open = prev === null ? null : prev + inner;
  }
}
