// Panel 5: the gradient check of the whole loss (bas gradcheck's, float64 tiny model) as a table,
// and the trained model as a zip of its pipeline folder, which `bas generate --model_path` loads.
import type { ParamCheckRow } from '../../bas/train/loss_gradcheck.js';
import type { WorkerClient } from './client.js';
import { button, el, status } from './dom.js';

function table(rows: readonly ParamCheckRow[]): HTMLTableElement {
  const t = document.createElement('table');
  const head = ['parameter', 'shape', 'entries', 'max abs error', 'max rel error', 'ok'];
  const tr = (cells: string[], tag: 'th' | 'td'): HTMLTableRowElement => {
    const r = document.createElement('tr');
    for (const c of cells) {
      const e = document.createElement(tag);
      e.textContent = c;
      if (c === 'yes') e.className = 'good';
      if (c === 'NO') e.className = 'bad';
      r.append(e);
    }
    return r;
  };
  t.append(tr(head, 'th'));
  for (const r of rows) t.append(tr([r.name, `[${r.shape.join(', ')}]`, String(r.entries.length), r.maxAbsError.toExponential(2), r.maxRelError.toExponential(2), r.ok ? 'yes' : 'NO'], 'td'));
  return t;
}

export class CheckPanel {
  constructor(client: WorkerClient) {
    button('gradcheck-run').onclick = () => {
      button('gradcheck-run').disabled = true;
      el('gradcheck-status').textContent = 'checking (float64, one backward and two forwards per entry)…';
      client.send({ type: 'gradcheck' });
    };
    client.on('gradcheck', (r) => {
      button('gradcheck-run').disabled = false;
      const n = r.rows.reduce((s, row) => s + row.entries.length, 0);
      const s = el('gradcheck-status');
      s.textContent = `${r.ok ? 'ok' : 'MISMATCH'}: ${n} entries in ${r.rows.length} parameters, ${(r.ms / 1000).toFixed(1)} s`;
      s.className = r.ok ? 'good' : 'bad';
      el('gradcheck-table').replaceChildren(table(r.rows));
    });
    button('download').onclick = () => client.send({ type: 'download' });
    client.on('zip', (r) => {
      const url = URL.createObjectURL(new Blob([r.bytes as Uint8Array<ArrayBuffer>], { type: 'application/zip' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = r.name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      status(`downloaded ${r.name} (${(r.bytes.length / 1024).toFixed(0)} KiB): unzip it and pass the folder to bas generate --model_path`);
    });
  }
}
