// The page's end of the worker protocol: posts requests, routes each reply to the handlers of its
// type, and turns a worker that failed to start or threw into an `error` reply.
import type { Reply, Request } from '../protocol.js';

type Of<K extends Reply['type']> = Extract<Reply, { type: K }>;

export class WorkerClient {
  private readonly worker: Worker;
  private readonly handlers = new Map<Reply['type'], ((r: Reply) => void)[]>();

  constructor(url: string) {
    this.worker = new Worker(url);
    this.worker.onmessage = (e: MessageEvent<Reply>) => this.dispatch(e.data);
    this.worker.onerror = (e: ErrorEvent) => this.dispatch({ type: 'error', request: 'init', message: `the worker failed: ${e.message}` });
  }

  send(req: Request): void {
    this.worker.postMessage(req);
  }

  on<K extends Reply['type']>(type: K, fn: (r: Of<K>) => void): void {
    const list = this.handlers.get(type) ?? [];
    list.push(fn as (r: Reply) => void);
    this.handlers.set(type, list);
  }

  private dispatch(r: Reply): void {
    for (const fn of this.handlers.get(r.type) ?? []) fn(r);
  }
}
