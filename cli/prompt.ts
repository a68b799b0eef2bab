// What `bas generate` and `bas edit` check of --prompt against the model that will read it
// (bas/prompt_check.ts): a <token> the model lacks, or one truncation would drop, is an error.
import { checkPromptFor } from '../bas/prompt_check.js';
import type { CLIPTokenizer } from '../nn/tokenizer/clip_tokenizer.js';

export function checkPrompt(tokenizer: CLIPTokenizer, prompt: string, modelPath: string, notice: (msg: string) => void): void {
  checkPromptFor(tokenizer, prompt, { field: 'prompt', quote: false, owner: `the model at ${modelPath}`, notice });
}
