// The CLIP-style text encoder: transformers' names, causality, padding, resizing, gradchecks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, gradcheck, no_grad, tensor } from '../../core/index.js';
import { CLIPTextModel, textEncoderConfig, TEXT_ENCODER_CONFIGS, UNET_CONFIGS } from '../../nn/index.js';
import { BOS_TOKEN, default_vocab_tokens, EOS_TOKEN } from '../../nn/tokenizer/vocab.js';

const tiny = (seed = 0, dtype: 'float32' | 'float64' = 'float64'): CLIPTextModel =>
  new CLIPTextModel(textEncoderConfig('tiny'), { generator: new Generator(seed), dtype });

describe('CLIPTextModel', () => {
  it("uses transformers' parameter names", () => {
    const keys = Object.keys(tiny().state_dict());
    expect(keys.slice(0, 2)).toEqual(['text_model.embeddings.token_embedding.weight', 'text_model.embeddings.position_embedding.weight']);
    for (const k of [
      'text_model.encoder.layers.0.self_attn.q_proj.weight',
      'text_model.encoder.layers.0.self_attn.k_proj.bias',
      'text_model.encoder.layers.0.self_attn.out_proj.weight',
      'text_model.encoder.layers.1.layer_norm1.weight',
      'text_model.encoder.layers.1.mlp.fc1.weight',
      'text_model.encoder.layers.1.mlp.fc2.bias',
      'text_model.encoder.layers.1.layer_norm2.bias',
      'text_model.final_layer_norm.weight',
    ]) {
      expect(keys).toContain(k);
    }
    expect(keys).not.toContain('text_model.embeddings.position_ids'); // non-persistent, as in transformers
    expect(keys.at(-1)).toBe('text_model.final_layer_norm.bias');
  });

  it('returns last_hidden_state (B, S, hidden) and the state at the first end token', () => {
    const m = tiny();
    const ids = [
      [14, 3, 4, 15, 15],
      [14, 5, 15, 15, 15],
    ];
    const out = no_grad(() => m.forward(ids));
    expect(out.last_hidden_state.shape).toEqual([2, 5, 8]);
    const last = out.last_hidden_state.tolist() as number[][][];
    expect(out.pooler_output.tolist()).toEqual([last[0]![3], last[1]![2]]);
    expect(m.forward(tensor(ids)).last_hidden_state.tolist()).toEqual(last);
  });

  it('is causal: changing later tokens never changes earlier outputs', () => {
    const m = tiny(1);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 2, maxLength: 8 }),
        fc.integer({ min: 0, max: 15 }),
        fc.nat(),
        (ids, replacement, at) => {
          const pos = 1 + (at % (ids.length - 1));
          const changed = [...ids];
          changed[pos] = replacement;
          const a = no_grad(() => m.forward([ids]).last_hidden_state.tolist()) as number[][][];
          const b = no_grad(() => m.forward([changed]).last_hidden_state.tolist()) as number[][][];
          for (let i = 0; i < pos; i++) expect(b[0]![i]).toEqual(a[0]![i]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('an attention mask hides padding keys', () => {
    const m = tiny(2);
    const mask = tensor([[1, 1, 1, 0]], { dtype: 'float64' });
    const a = m.forward([[14, 3, 15, 9]], { attention_mask: mask }).last_hidden_state.tolist() as number[][][];
    const b = m.forward([[14, 3, 15, 2]], { attention_mask: mask }).last_hidden_state.tolist() as number[][][];
    expect(b[0]!.slice(0, 3)).toEqual(a[0]!.slice(0, 3));
    expect(() => m.forward([[1, 2, 3, 4, 5, 6, 7, 8, 9]])).toThrow(/max_position_embeddings/);
  });

  it('resize_token_embeddings keeps old rows and updates vocab_size', () => {
    const m = tiny(3);
    const before = m.get_input_embeddings().weight.tolist() as number[][];
    const emb = m.resize_token_embeddings(19, new Generator(5));
    expect(emb).toBe(m.get_input_embeddings());
    const after = emb.weight.tolist() as number[][];
    expect(after.length).toBe(19);
    expect(after.slice(0, 16)).toEqual(before);
    expect(m.config.vocab_size).toBe(19);
    expect(m.state_dict()['text_model.embeddings.token_embedding.weight']!.shape).toEqual([19, 8]);
    // a new id now works and its row is what the table holds
    const out = m.forward([[14, 18, 15]]);
    expect(out.last_hidden_state.shape).toEqual([1, 3, 8]);
  });

  it('gradchecks w.r.t. the token table, a q_proj and an fc1 weight (float64)', () => {
    const m = tiny(4);
    m.requires_grad_(false);
    const emb = m.get_input_embeddings().weight.requires_grad_(true);
    const layer = m.text_model.encoder.layers.at(1);
    const q = layer.self_attn.q_proj.weight.requires_grad_(true);
    const fc1 = layer.mlp.fc1.weight.requires_grad_(true);
    const r = gradcheck(() => m.forward([[14, 3, 7, 15], [14, 9, 15, 15]]).last_hidden_state, [emb, q, fc1], { atol: 1e-6 });
    expect(r.ok).toBe(true);
  });

  it('default config fits the default UNet and the project tokenizer', () => {
    const c = TEXT_ENCODER_CONFIGS.default;
    const vocab = default_vocab_tokens();
    expect(c.hidden_size).toBe(UNET_CONFIGS.default.cross_attention_dim);
    expect(c.vocab_size).toBe(vocab.length);
    expect(vocab[c.bos_token_id]).toBe(BOS_TOKEN);
    expect(vocab[c.eos_token_id]).toBe(EOS_TOKEN);
    const m = new CLIPTextModel(textEncoderConfig('default'), { generator: new Generator(0) });
    expect(m.num_parameters()).toBe(222528);
    const ids = [Array.from({ length: 24 }, (_, i) => (i === 0 ? c.bos_token_id : i < 6 ? 100 + i : c.eos_token_id))];
    expect(no_grad(() => m.forward(ids)).last_hidden_state.shape).toEqual([1, 24, 64]);
  });
});
