// The playground page's entry (bundled by build.ts into page.js): starts the worker with the
// backend and model of the URL (?backend=auto|gpujs-webgl2|gpujs-webgl|gpujs-webasm|cpu,
// ?model=base|tiny, ?threads=0 to keep every kernel on the worker's thread), wires the five panels, and shows status, backend and log lines.
import { BACKEND_CHOICES, type BackendChoice } from '../protocol.js';
import { AttentionPanel } from './attention_panel.js';
import { CheckPanel } from './check_panel.js';
import { WorkerClient } from './client.js';
import { el, log, status } from './dom.js';
import { GeneratePanel } from './generate_panel.js';
import { ScenePanel } from './scene_panel.js';
import { TrainPanel } from './train_panel.js';

const query = new URLSearchParams(location.search);
const backend = (query.get('backend') ?? 'auto') as BackendChoice;
const model = query.get('model') ?? 'base';
const threads = query.get('threads') !== '0';

const client = new WorkerClient('worker.js');
const scene = new ScenePanel(client);
const train = new TrainPanel(client, () => scene.scene !== null);
new AttentionPanel(client, () => scene.scene, () => train.state !== 'idle');
new GeneratePanel(client);
new CheckPanel(client);

client.on('ready', (r) => {
  el('backend').textContent = r.backend;
  el('model').textContent = `${r.model} (${r.resolution}x${r.resolution})`;
  el('threads').textContent = r.threads ? 'kernels on two threads' : 'kernels on one thread';
  status('ready: generate a scene, then train');
  log(`ready: backend ${r.backend}, model ${r.model}`);
  document.body.dataset.ready = 'true';
  // a first scene, so the page shows something at once
  el<HTMLButtonElement>('scene-new').click();
});
client.on('log', (r) => log(r.text));
client.on('error', (r) => {
  status(`error (${r.request}): ${r.message}`);
  log(`error (${r.request}): ${r.message}`);
});
// exposed for the browser test and the curious: the scene panel's brush
(window as unknown as { playground: unknown }).playground = { client, scene, train };

if (!(BACKEND_CHOICES as readonly string[]).includes(backend)) {
  status(`?backend=${backend} is not one of ${BACKEND_CHOICES.join(', ')}`);
} else {
  client.send({ type: 'init', backend, model, threads });
}
