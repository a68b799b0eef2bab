// Pause, single-step and reset for a training run that the worker does not own the loop of: the
// trainer awaits the platform's nextTurn() between steps, and the session installs this gate's
// wait() there. Running, it yields one macrotask (so messages are handled between steps); paused, it
// holds the trainer until resume() or step() lets it go; cancel() makes the held (or next) wait
// throw, which ends train() without a checkpoint (a reset throws the run away).

export class RunCancelled extends Error {
  constructor() {
    super('training reset');
    this.name = 'RunCancelled';
  }
}

export class StepGate {
  private paused: boolean;
  /** Steps allowed to run while paused (one per step() before the trainer reached the gate). */
  private credits = 0;
  private held: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private cancelled = false;

  constructor(paused = false) {
    this.paused = paused;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Whether the trainer is waiting here now (paused between steps). */
  get isHolding(): boolean {
    return this.held !== null;
  }

  /** The platform's nextTurn while a run is going. */
  wait(): Promise<void> {
    if (this.cancelled) return Promise.reject(new RunCancelled());
    if (!this.paused) return yieldTurn();
    if (this.credits > 0) {
      this.credits--;
      return yieldTurn();
    }
    return new Promise((resolve, reject) => {
      this.held = { resolve, reject };
    });
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.release();
  }

  /** One more step, then hold again. */
  step(): void {
    this.paused = true;
    if (this.held) this.release();
    else this.credits++;
  }

  cancel(): void {
    this.cancelled = true;
    const h = this.held;
    this.held = null;
    h?.reject(new RunCancelled());
  }

  private release(): void {
    const h = this.held;
    this.held = null;
    // through a macrotask, as a running gate does, so the reply to this request goes out first
    if (h) void yieldTurn().then(h.resolve);
  }
}

function yieldTurn(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}
