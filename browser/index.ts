// The browser bundle's entry (`npm run bundle:browser` -> dist/browser/bas.js, global `basTs`):
// the library's layers as namespaces (basTs.core, .kernels, .nn, .diffusion, .bas, .platform), and
// at the top the few names a first run needs. In a bundle the platform defaults to the browser's
// (platform/default_browser.ts): load weights and images into a MemoryFiles and install it:
//   const files = basTs.MemoryFiles.from({ '/model/model_index.json': bytes, ... });
//   basTs.setPlatform(basTs.browserPlatform({ files }));
//   const model = basTs.loadModel('/model');
// and a training run's outputs into a sink read back afterwards:
//   const sink = basTs.memorySink();
//   await new basTs.BreakASceneTrainer(basTs.trainConfig({ ... }), { sink }).train();
//   sink.outputs()['model_index.json'];
export * as core from '../core/index.js';
export * as kernels from '../kernels/index.js';
export * as nn from './nn.js';
export * as diffusion from '../diffusion/index.js';
export * as bas from './bas.js';
export * as platform from '../platform/index.js';
export { browserPlatform, getPlatform, MemoryFiles, memoryPlatform, setPlatform } from '../platform/index.js';
export { Generator, no_grad, setBackend, tensor } from '../core/index.js';
export { encodePrompts, loadModel, sample, saveModel } from '../bas/model.js';
export { BreakASceneTrainer } from '../bas/train/trainer.js';
export { memorySink } from '../bas/train/output_sink.js';
export { trainConfig } from '../bas/train/config.js';
