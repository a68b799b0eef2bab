// Small typed DOM helpers for the page: elements by id (a missing one is a build mistake, said at
// once), numbers from inputs, and a log line.

export function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
}

export const input = (id: string): HTMLInputElement => el<HTMLInputElement>(id);
export const button = (id: string): HTMLButtonElement => el<HTMLButtonElement>(id);
export const select = (id: string): HTMLSelectElement => el<HTMLSelectElement>(id);

/** The input's number, or an error naming the field when it is not one. */
export function numberOf(id: string, what: string, opts: { integer?: boolean; min?: number } = {}): number {
  const raw = input(id).value.trim();
  const v = Number(raw);
  if (raw === '' || !Number.isFinite(v)) throw new Error(`${what} must be a number, got "${raw}"`);
  if (opts.integer && !Number.isInteger(v)) throw new Error(`${what} must be a whole number, got ${raw}`);
  if (opts.min !== undefined && v < opts.min) throw new Error(`${what} must be at least ${opts.min}, got ${raw}`);
  return v;
}

export function log(text: string): void {
  const pre = el('log');
  pre.textContent += `${text}\n`;
  pre.scrollTop = pre.scrollHeight;
}

export function status(text: string): void {
  el('status').textContent = text;
}

/** Runs `fn`, showing a thrown error in the status line and the log instead of losing it. */
export function guarded(fn: () => void): () => void {
  return () => {
    try {
      fn();
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      status(msg);
      log(`error: ${msg}`);
    }
  };
}
