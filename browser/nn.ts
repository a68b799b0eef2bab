// The nn layer as the browser bundle exposes it (basTs.nn): modules, the UNet and text encoder,
// plus what nn/index.ts leaves to direct imports: the tokenizer, optimizers, safetensors and the
// pipeline folder I/O (over the installed platform's files).
export * from '../nn/index.js';
export * from '../nn/optim/index.js';
export { CLIPTokenizer, type CLIPTokenizerOptions } from '../nn/tokenizer/clip_tokenizer.js';
export { deserialize, load_file, load_file_with_metadata, save_file, serialize, type SafetensorsContent } from '../nn/safetensors.js';
export { from_pretrained, save_pretrained, load_text_encoder, save_text_encoder, PIPELINE_FILES, type LoadedPipeline, type PipelineComponents } from '../nn/pipeline.js';
