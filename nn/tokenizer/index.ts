export * from './clip_tokenizer.js';
export * from './vocab.js';
