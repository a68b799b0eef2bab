// The playground's static server and its port: files under the folder with the headers that make
// the page cross-origin isolated, 404 for a path outside it or a missing file, a free port when the
// one asked for is taken; the port flag and variable checked with a message naming them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { portOf } from '../../playground/node/main.js';
import { serveFolder } from '../../playground/node/serve.js';
import { tempRoot } from '../helpers/tiny_model.js';

const tmp = tempRoot('bas-playground-serve');
afterAll(() => tmp.cleanup());

describe('playground server', () => {
  it('serves the folder, cross-origin isolated, and nothing outside it', async () => {
    const root = tmp.fresh('site');
    mkdirSync(join(root, 'models'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<p>hi</p>');
    writeFileSync(join(root, 'models', 'files.json'), '[]');
    writeFileSync(join(tmp.root, 'secret.txt'), 'no');
    const s = await serveFolder(root, { port: 0 });
    try {
      const page = await fetch(s.url);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe('<p>hi</p>');
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect((await fetch(`${s.url}models/files.json`)).headers.get('content-type')).toBe('application/json');
      expect((await fetch(`${s.url}missing.js`)).status).toBe(404);
      expect((await fetch(`${s.url}..%2Fsecret.txt`)).status).toBe(404);
      expect((await fetch(s.url, { method: 'POST' })).status).toBe(405);
    } finally {
      await s.close();
    }
  });

  it('takes a free port when the one asked for is taken, and says so', async () => {
    const first = await serveFolder(tmp.root, { port: 0 });
    const second = await serveFolder(tmp.root, { port: first.port });
    try {
      expect(second.port).not.toBe(first.port);
      expect(second.note).toBe(`port ${first.port} is taken; using ${second.port}`);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('reads the port from --port, then PORT, else 5173, naming a bad value', () => {
    expect(portOf([], {})).toBe(5173);
    expect(portOf([], { PORT: '8080' })).toBe(8080);
    expect(portOf(['--port', '9000'], { PORT: '8080' })).toBe(9000);
    expect(portOf(['--port=9001'], {})).toBe(9001);
    expect(() => portOf(['--port', 'x'], {})).toThrow('--port must be a port number 0..65535, got "x"');
    expect(() => portOf([], { PORT: '70000' })).toThrow('PORT must be a port number 0..65535, got "70000"');
    expect(() => portOf(['--prot', '1'], {})).toThrow('unknown flag --prot');
  });
});
