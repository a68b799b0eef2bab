// The method as the browser bundle exposes it (basTs.bas): the model folder, attention store and
// processor, aggregation, the losses, union sampling, the trainer, its config and output sinks, visualisation
// (basTs.bas.vis) and image I/O (basTs.bas.io: PNG through pngjs's browser build, JPEG through
// jpeg-js).
export * from '../bas/model.js';
export { useBackend } from '../bas/backend.js';
export { InputError } from '../bas/errors.js';
export { AttentionStore, MAX_STORED_PIXELS } from '../bas/attention/attention_store.js';
export { P2PCrossAttnProcessor } from '../bas/attention/p2p_processor.js';
export { register_attention_control } from '../bas/attention/register_attention_control.js';
export { aggregate_attention } from '../bas/attention/aggregate_attention.js';
export { attentionLoss, conceptAttentionLoss } from '../bas/losses/attention_loss.js';
export { attentionIoU } from '../bas/losses/attention_iou.js';
export { maskedMseLoss, unionMask } from '../bas/losses/masked_loss.js';
export { instancePrompt, sampleUnion } from '../bas/data/union_sampling.js';
export { breakASceneLoss } from '../bas/train/loss.js';
export { trainConfig, TRAIN_DEFAULTS, type TrainConfig } from '../bas/train/config.js';
export { BreakASceneTrainer, NonFiniteError, type MetricsLine, type TrainResult } from '../bas/train/trainer.js';
export { folderSink, memorySink, outputPath, type MemorySink, type OutputSink } from '../bas/train/output_sink.js';
export * as vis from '../bas/vis/index.js';
export * as io from '../bas/io/index.js';
