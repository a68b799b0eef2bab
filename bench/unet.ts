// UNET HOOK (issue 3, item 4): one forward + backward of the `default` UNet (32x32, batch 2, 24
// text tokens) through the public nn API, on the active backend. It loads nn lazily and reports
// why it could not run instead of failing the bench while nn is still landing. There is no TF.js
// counterpart, so its rows carry no ratio.
export interface UNetBench {
  run: () => void;
  flops: number;
}

export async function unetRunner(): Promise<UNetBench | string> {
  try {
    const nn = await import('../nn/index.js');
    const core = await import('../core/index.js');
    const model = new nn.UNet2DConditionModel(nn.unetConfig('default'), { dtype: 'float32' });
    const gen = new core.Generator().manual_seed(0);
    const sample = gen.randn([2, 3, 32, 32], { dtype: 'float32' });
    const ctx = gen.randn([2, 24, 64], { dtype: 'float32' });
    const flops = nn.unetFlops(nn.unetConfig('default'), 2, { seq_len: 24 }).forward_backward;
    return {
      flops,
      run: () => {
        model.zero_grad();
        const out = model.forward(sample, [10, 500], ctx).sample;
        core.mean(core.mul(out, out)).backward();
      },
    };
  } catch (e) {
    return `UNet row pending: ${(e as Error).message.split('\n')[0]}`;
  }
}
