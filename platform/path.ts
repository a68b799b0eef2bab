// POSIX path arithmetic in plain string code, for the in-memory file system and for the few path
// questions the library asks itself (an image's extension); Node's own path module does the same
// on a disk (platform/node). Paths are '/'-separated; the in-memory root is '/'.

/** `a/./b/../c` -> `a/c`; keeps a leading '/', drops a trailing one ('' -> '.'). */
export function normalize(path: string): string {
  const absolute = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (part !== '..' || !absolute) out.push(part);
  }
  const body = out.join('/');
  return absolute ? `/${body}` : body || '.';
}

export function join(...parts: string[]): string {
  return normalize(parts.filter((p) => p !== '').join('/'));
}

/** Absolute against `cwd` ('/' in memory). */
export function resolve(path: string, cwd = '/'): string {
  return normalize(path.startsWith('/') ? path : `${cwd}/${path}`);
}

export function dirname(path: string): string {
  const p = normalize(path);
  const i = p.lastIndexOf('/');
  if (i < 0) return '.';
  return i === 0 ? '/' : p.slice(0, i);
}

export function basename(path: string): string {
  const p = normalize(path);
  return p === '/' ? '' : p.slice(p.lastIndexOf('/') + 1);
}

/** The extension of a path's last part, with its dot (`.png`), or '' (as Node's path.extname). */
export function extname(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 || base === '..' ? '' : base.slice(dot);
}
