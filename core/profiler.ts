// Where a step's time goes, in the manner of torch.profiler's key_averages: every kernel call timed
// per kernel and phase (with the bytes it allocated and, for products, its GFLOP/s), every op's
// forward and the backward of its graph node, garbage-collection pauses, and what is left outside
// the kernels (op-layer JS, shape work, autograd bookkeeping). Nothing runs when no profiler is on:
// the op layer and autograd call an empty hook.
import { setKernelInstrument, type Conv2dArgs, type KernelBackend, type MatmulArgs, type Storage } from '../kernels/index.js';
import { setOpHooks } from './op_hooks.js';

export interface KernelStat { phase: string; kernel: string; calls: number; ms: number; flops: number; bytes: number }
export interface OpStat { phase: string; op: string; calls: number; ms: number; kernel_ms: number }
export interface ProfileReport {
  wall_ms: number;
  /** top-level kernel time (a kernel a backend calls from inside another counts once) */
  kernel_ms: number;
  /** garbage-collection pauses inside the window; null where the platform does not report them */
  gc_ms: number | null;
  gc_count: number | null;
  kernels: KernelStat[];
  ops: OpStat[];
}

/** Multiply-adds x 2 of the products; 0 for kernels whose cost is memory traffic. */
function kernelFlops(kernel: string, args: readonly unknown[]): number {
  if (kernel === 'matmul') {
    const a = args[2] as MatmulArgs;
    return 2 * a.batch * a.m * a.k * a.n;
  }
  if (kernel.startsWith('conv2d')) {
    const a = args[2] as Conv2dArgs;
    return 2 * a.n * a.o * a.outH * a.outW * a.c * a.kh * a.kw;
  }
  return 0;
}

function storageBytes(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const s = v as Partial<Storage>;
  if (typeof s.size === 'number' && typeof s.dtype === 'string') return s.size * (s.dtype === 'float64' ? 8 : 4);
  let n = 0;
  for (const x of Object.values(v)) if (x && typeof x === 'object' && 'size' in x) n += storageBytes(x);
  return n;
}

/** What autograd does between nodes: ordering the graph, summing gradients that meet. */
const AUTOGRAD = '(autograd: graph order, gradient sums)';

interface GcObserver { disconnect(): void }

export class Profiler {
  private kernels = new Map<string, KernelStat>();
  private ops = new Map<string, OpStat>();
  private phases: string[] = ['forward'];
  private depth = 0;
  private kernelTotal = 0;
  /** kernel time and clock at the last op boundary: a forward op owns what ran since */
  private markKernel = 0;
  private markT = 0;
  private nodeStarts: [number, number][] = [];
  private t0 = 0;
  private gcMs = 0;
  private gcCount = 0;
  private gc: GcObserver | null = null;

  start(): this {
    this.t0 = this.markT = performance.now();
    setKernelInstrument((b) => this.wrap(b));
    setOpHooks({
      // ops a node's backward runs belong to that node
      // ops a node's backward runs belong to that node; an op is named by its node minus
      // "Backward" (MulBackward: Mul), as torch.profiler lists aten::mul apart from MulBackward0
      op: (name) => {
        if (this.nodeStarts.length === 0) this.closeOp(this.phase(), name.replace(/Backward$/, ''));
      },
      enterBackward: () => {
        this.closeOp(this.phase(), '(between ops)');
        this.push('backward');
      },
      exitBackward: () => {
        this.closeOp('backward', AUTOGRAD);
        this.pop();
      },
      nodeBegin: () => {
        this.closeOp('backward', AUTOGRAD);
        this.nodeStarts.push([performance.now(), this.kernelTotal]);
      },
      nodeEnd: (name) => {
        const [t, k] = this.nodeStarts.pop()!;
        this.addOp('backward', name, performance.now() - t, this.kernelTotal - k);
        this.markT = performance.now();
        this.markKernel = this.kernelTotal;
      },
    });
    this.observeGc();
    return this;
  }

  /** Runs `fn` with its kernels and ops counted under `name` (e.g. 'optimizer'). */
  section<T>(name: string, fn: () => T): T {
    this.closeOp(this.phase(), '(between ops)');
    this.push(name);
    try {
      return fn();
    } finally {
      this.closeOp(name, '(outside ops)');
      this.pop();
    }
  }

  /** Stops recording; waits one task so the platform can deliver its GC entries. */
  async stop(): Promise<ProfileReport> {
    const wall = performance.now() - this.t0;
    setKernelInstrument(null);
    setOpHooks(null);
    await new Promise((r) => setTimeout(r, 20));
    this.gc?.disconnect();
    const byMs = <T extends { ms: number }>(m: Map<string, T>): T[] => [...m.values()].sort((a, b) => b.ms - a.ms);
    return {
      wall_ms: wall,
      kernel_ms: this.kernelTotal,
      gc_ms: this.gc ? this.gcMs : null,
      gc_count: this.gc ? this.gcCount : null,
      kernels: byMs(this.kernels),
      ops: byMs(this.ops),
    };
  }

  private phase(): string {
    return this.phases[this.phases.length - 1]!;
  }
  private push(p: string): void {
    this.phases.push(p);
  }
  private pop(): void {
    if (this.phases.length > 1) this.phases.pop();
  }

  private closeOp(phase: string, name: string): void {
    const now = performance.now();
    this.addOp(phase, name, now - this.markT, this.kernelTotal - this.markKernel);
    this.markT = now;
    this.markKernel = this.kernelTotal;
  }

  private addOp(phase: string, op: string, ms: number, kernelMs: number): void {
    const key = `${phase}\t${op}`;
    let s = this.ops.get(key);
    if (!s) this.ops.set(key, (s = { phase, op, calls: 0, ms: 0, kernel_ms: 0 }));
    s.calls++;
    s.ms += ms;
    s.kernel_ms += kernelMs;
  }

  private wrap(b: KernelBackend): KernelBackend {
    return new Proxy(b, {
      get: (target, prop, receiver) => {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function' || typeof prop !== 'string') return v;
        const f = v as (...a: unknown[]) => unknown;
        return (...args: unknown[]) => {
          if (this.depth > 0) return f.apply(receiver, args);
          this.depth++;
          const t = performance.now();
          try {
            const out = f.apply(receiver, args);
            const name = prop === 'matmul' && (args[2] as MatmulArgs).batch > 1 ? 'bmm' : prop;
            this.addKernel(name, performance.now() - t, kernelFlops(prop, args), storageBytes(out));
            return out;
          } finally {
            this.depth--;
          }
        };
      },
    });
  }

  private addKernel(kernel: string, ms: number, flops: number, bytes: number): void {
    const phase = this.phase();
    const key = `${phase}\t${kernel}`;
    let s = this.kernels.get(key);
    if (!s) this.kernels.set(key, (s = { phase, kernel, calls: 0, ms: 0, flops: 0, bytes: 0 }));
    s.calls++;
    s.ms += ms;
    s.flops += flops;
    s.bytes += bytes;
    this.kernelTotal += ms;
  }

  /** GC pauses through the platform's PerformanceObserver where it reports 'gc' entries (Node). */
  private observeGc(): void {
    const PO = (globalThis as { PerformanceObserver?: typeof PerformanceObserver }).PerformanceObserver;
    if (!PO || !PO.supportedEntryTypes?.includes('gc')) return;
    const t0 = this.t0;
    const obs = new PO((list) => {
      for (const e of list.getEntries()) {
        if (e.startTime < t0) continue;
        this.gcMs += e.duration;
        this.gcCount++;
      }
    });
    obs.observe({ entryTypes: ['gc'] });
    this.gc = obs;
  }
}

/**
 * torch.profiler's schedule for a training loop: call `step()` at each step's start; the first
 * `wait` steps run unprofiled (cold JIT and wasm compiles), the next `active` are profiled, and
 * `onReport` gets their report. Loops take one as an option, so a profile is of the real step.
 */
export class StepProfiler {
  private seen = 0;
  private prof: Profiler | null = null;
  private done = false;

  constructor(
    readonly wait: number,
    readonly active: number,
    private readonly onReport: (r: ProfileReport, steps: number) => void,
  ) {}

  /** The profiler of the step running now, for a loop's sections (optimizer, EMA); null when off. */
  get current(): Profiler | null {
    return this.prof;
  }

  /** Marks a step boundary; returns once the report of a finished window has been delivered. */
  async step(): Promise<void> {
    if (this.done) return;
    if (this.seen === this.wait) this.prof = new Profiler().start();
    if (this.seen === this.wait + this.active && this.prof) {
      const r = await this.prof.stop();
      this.prof = null;
      this.done = true;
      this.onReport(r, this.active);
    }
    this.seen++;
  }

  /** Ends a window cut short by the end of training (fewer steps than `active`). */
  async finish(): Promise<void> {
    if (this.seen <= this.wait || this.done || !this.prof) return;
    const steps = this.seen - this.wait;
    const r = await this.prof.stop();
    this.prof = null;
    this.done = true;
    this.onReport(r, steps);
  }

  /** Runs `fn` as a named section when profiling, else plainly. */
  section<T>(name: string, fn: () => T): T {
    return this.prof ? this.prof.section(name, fn) : fn();
  }
}
