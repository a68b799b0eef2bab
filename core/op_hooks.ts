// The seam a profiler listens on (core/profiler.ts): the op layer reports each op as it is made and
// autograd each graph node it runs backward. Null, the default, costs one comparison per op.

export interface OpHooks {
  /** an op's output was just made (its kernels ran since the previous report) */
  op(name: string): void;
  enterBackward(): void;
  exitBackward(): void;
  nodeBegin(name: string): void;
  nodeEnd(name: string): void;
}

export let opHooks: OpHooks | null = null;

export function setOpHooks(h: OpHooks | null): void {
  opHooks = h;
}
