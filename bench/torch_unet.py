# The PyTorch anchor row of `npm run bench` (issue 11, item 5): the project's `default` UNet
# (nn/configs.ts) written in plain PyTorch, laid out as diffusers' UNet2DConditionModel is for that
# config, timed for one forward + mean-square loss + backward on CPU in float32.
#
#   python3 bench/torch_unet.py --batch 16 --threads 1 [--steps N] [--expect_params P]
#
# prints one JSON line {"ms", "cpu_ms", "params", "threads", "batch", "torch", "attn", "blas"} (ms: median
# wall time of the timed steps after 2 warm-up steps; cpu_ms: median CPU time of this process, all
# threads, which a busy machine inflates less; blas: the BLAS library the process loaded). --expect_params P exits with status 3 when the parameter count is
# not P (the TypeScript model's count), so the two sides never time different models silently.
# --list_params prints "name shape" per parameter instead (the TypeScript model's naming), to diff
# the two state dicts.
import argparse
import json
import math
import os
import statistics
import sys
import time


def _threads_from_argv():
    """--threads, read before torch loads: OpenBLAS and MKL size their pools from the environment at
    load time, and torch.set_num_threads does not reach a BLAS it was not built against (Debian's
    torch uses whatever libblas.so.3 the system provides)."""
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return "1"


for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = _threads_from_argv()
# On a machine shared with other jobs, OpenMP's spinning barrier loses its time slices: with 2
# threads on 2 busy cores a step measured ~11x slower spinning than sleeping. Overridable.
if _threads_from_argv() != "1":
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402  (after the thread variables)
import torch.nn.functional as F
from torch import nn

# nn/configs.ts UNET_CONFIGS.default; every other key takes diffusers' default.
CONFIG = {
    "sample_size": 32,
    "in_channels": 3,
    "out_channels": 3,
    "block_out_channels": [32, 64, 64],
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
    "layers_per_block": 1,
    "cross_attention_dim": 64,
    "attention_head_dim": 4,  # the number of heads (diffusers' naming)
    "norm_num_groups": 8,
    "use_linear_projection": True,
    # diffusers' defaults
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "norm_eps": 1e-5,
    "downsample_padding": 1,
}
TOKENS = 24  # the default text encoder's max_position_embeddings

HAS_SDPA = hasattr(F, "scaled_dot_product_attention")


def loaded_blas():
    """The BLAS library this process mapped (Linux: /proc/self/maps), resolved through symlinks;
    Debian's reference libblas3 is several times slower than OpenBLAS or MKL on the matmuls here."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "/" in line}
    except OSError:
        return "unknown"
    hits = sorted(os.path.realpath(p) for p in paths if any(k in os.path.basename(p) for k in ("libblas", "openblas", "libmkl_rt", "libmkl_core")))
    return ", ".join(hits) if hits else "none mapped (built-in or MKL static)"


def sinusoidal(timesteps, dim, flip_sin_to_cos, shift, max_period=10000.0):
    """(N,) -> (N, dim): [sin, cos] of t * exp(-ln(max_period) k / (half - shift)), or [cos, sin]."""
    half = dim // 2
    k = torch.arange(half, dtype=torch.float32, device=timesteps.device)
    freqs = torch.exp(-math.log(max_period) * k / (half - shift))
    arg = timesteps.float()[:, None] * freqs[None, :]
    parts = [torch.cos(arg), torch.sin(arg)] if flip_sin_to_cos else [torch.sin(arg), torch.cos(arg)]
    emb = torch.cat(parts, dim=-1)
    return F.pad(emb, (0, 1)) if dim % 2 else emb


class Timesteps(nn.Module):
    def __init__(self, channels, flip_sin_to_cos, shift):
        super().__init__()
        self.channels, self.flip, self.shift = channels, flip_sin_to_cos, shift

    def forward(self, t):
        return sinusoidal(t, self.channels, self.flip, self.shift)


class TimestepEmbedding(nn.Module):
    def __init__(self, cin, dim):
        super().__init__()
        self.linear_1 = nn.Linear(cin, dim)
        self.linear_2 = nn.Linear(dim, dim)

    def forward(self, x):
        return self.linear_2(F.silu(self.linear_1(x)))


class ResnetBlock2D(nn.Module):
    """norm1-SiLU-conv1 (+ time_emb_proj(SiLU(temb))), norm2-SiLU-dropout-conv2, 1x1 shortcut if C changes."""

    def __init__(self, cin, cout, temb, groups, eps):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=eps)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=eps)
        self.dropout = nn.Dropout(0.0)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return (self.conv_shortcut(x) if self.conv_shortcut is not None else x) + h


class Downsample2D(nn.Module):
    def __init__(self, c, padding):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride=2, padding=padding)

    def forward(self, x):
        return self.conv(x)


class Upsample2D(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Attention(nn.Module):
    """to_q/to_k/to_v without bias, to_out = [Linear, Dropout]; softmax(Q K^T / sqrt(d)) V per head."""

    def __init__(self, query_dim, heads, dim_head, cross_dim=None, use_sdpa=True):
        super().__init__()
        inner = heads * dim_head
        kv = cross_dim if cross_dim is not None else query_dim
        self.heads, self.scale, self.use_sdpa = heads, dim_head ** -0.5, use_sdpa
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        self.to_k = nn.Linear(kv, inner, bias=False)
        self.to_v = nn.Linear(kv, inner, bias=False)
        self.to_out = nn.ModuleList([nn.Linear(inner, query_dim), nn.Dropout(0.0)])

    def forward(self, x, context=None):
        ctx = x if context is None else context
        b, s, _ = x.shape
        h = self.heads
        q = self.to_q(x).view(b, s, h, -1).transpose(1, 2)
        k = self.to_k(ctx).view(b, ctx.shape[1], h, -1).transpose(1, 2)
        v = self.to_v(ctx).view(b, ctx.shape[1], h, -1).transpose(1, 2)
        if self.use_sdpa:  # diffusers' AttnProcessor2_0
            o = F.scaled_dot_product_attention(q, k, v)
        else:  # diffusers' AttnProcessor (torch < 2)
            o = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * self.scale, dim=-1) @ v
        o = o.transpose(1, 2).reshape(b, s, -1)
        return self.to_out[1](self.to_out[0](o))


class GEGLU(nn.Module):
    def __init__(self, dim_in, dim_out):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2)

    def forward(self, x):
        h, gate = self.proj(x).chunk(2, dim=-1)
        return h * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim, mult=4):
        super().__init__()
        self.net = nn.ModuleList([GEGLU(dim, dim * mult), nn.Dropout(0.0), nn.Linear(dim * mult, dim)])

    def forward(self, x):
        for m in self.net:
            x = m(x)
        return x


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, heads, dim_head, cross_dim, use_sdpa):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn1 = Attention(dim, heads, dim_head, None, use_sdpa)
        self.norm2 = nn.LayerNorm(dim)
        self.attn2 = Attention(dim, heads, dim_head, cross_dim, use_sdpa)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = FeedForward(dim)

    def forward(self, x, context):
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), context) + x
        return self.ff(self.norm3(x)) + x


class Transformer2DModel(nn.Module):
    """GroupNorm (eps 1e-6), linear proj_in over the H*W tokens, one block, proj_out, residual."""

    def __init__(self, heads, channels, cross_dim, groups, use_sdpa):
        super().__init__()
        assert CONFIG["use_linear_projection"]
        self.norm = nn.GroupNorm(groups, channels, eps=1e-6)
        self.proj_in = nn.Linear(channels, channels)
        self.transformer_blocks = nn.ModuleList([BasicTransformerBlock(channels, heads, channels // heads, cross_dim, use_sdpa)])
        self.proj_out = nn.Linear(channels, channels)

    def forward(self, x, context):
        b, c, hh, ww = x.shape
        t = self.norm(x).permute(0, 2, 3, 1).reshape(b, hh * ww, c)
        t = self.proj_in(t)
        for blk in self.transformer_blocks:
            t = blk(t, context)
        t = self.proj_out(t).reshape(b, hh, ww, c).permute(0, 3, 1, 2)
        return t + x


class DownBlock(nn.Module):
    """DownBlock2D (cross=False) or CrossAttnDownBlock2D: resnets (+attentions), optional downsampler."""

    def __init__(self, cin, cout, layers, cross, add_down, kw):
        super().__init__()
        if cross:  # diffusers registers attentions first
            self.attentions = nn.ModuleList([Transformer2DModel(kw["heads"], cout, kw["cross_dim"], kw["groups"], kw["sdpa"]) for _ in range(layers)])
        else:
            self.attentions = None
        self.resnets = nn.ModuleList([ResnetBlock2D(cin if i == 0 else cout, cout, kw["temb"], kw["groups"], kw["eps"]) for i in range(layers)])
        self.downsamplers = nn.ModuleList([Downsample2D(cout, CONFIG["downsample_padding"])]) if add_down else None

    def forward(self, x, temb, context):
        skips = []
        for i, r in enumerate(self.resnets):
            x = r(x, temb)
            if self.attentions is not None:
                x = self.attentions[i](x, context)
            skips.append(x)
        if self.downsamplers is not None:
            for d in self.downsamplers:
                x = d(x)
            skips.append(x)
        return x, skips


class MidBlock(nn.Module):
    """UNetMidBlock2DCrossAttn with one layer: resnet, attention, resnet."""

    def __init__(self, c, kw):
        super().__init__()
        self.attentions = nn.ModuleList([Transformer2DModel(kw["heads"], c, kw["cross_dim"], kw["groups"], kw["sdpa"])])
        self.resnets = nn.ModuleList([ResnetBlock2D(c, c, kw["temb"], kw["groups"], kw["eps"]) for _ in range(2)])

    def forward(self, x, temb, context):
        x = self.resnets[0](x, temb)
        for a, r in zip(self.attentions, self.resnets[1:]):
            x = r(a(x, context), temb)
        return x


class UpBlock(nn.Module):
    """UpBlock2D (cross=False) or CrossAttnUpBlock2D: each resnet takes the running map plus one skip."""

    def __init__(self, cin, prev, cout, layers, cross, add_up, kw):
        super().__init__()
        if cross:
            self.attentions = nn.ModuleList([Transformer2DModel(kw["heads"], cout, kw["cross_dim"], kw["groups"], kw["sdpa"]) for _ in range(layers)])
        else:
            self.attentions = None
        res = []
        for i in range(layers):
            skip = cin if i == layers - 1 else cout
            res.append(ResnetBlock2D((prev if i == 0 else cout) + skip, cout, kw["temb"], kw["groups"], kw["eps"]))
        self.resnets = nn.ModuleList(res)
        self.upsamplers = nn.ModuleList([Upsample2D(cout)]) if add_up else None

    def forward(self, x, skips, temb, context):
        for i, r in enumerate(self.resnets):
            x = r(torch.cat([x, skips.pop()], dim=1), temb)
            if self.attentions is not None:
                x = self.attentions[i](x, context)
        if self.upsamplers is not None:
            for u in self.upsamplers:
                x = u(x)
        return x


class UNet2DConditionModel(nn.Module):
    def __init__(self, c, use_sdpa):
        super().__init__()
        ch = c["block_out_channels"]
        n = len(ch)
        temb = ch[0] * 4
        kw = {"temb": temb, "groups": c["norm_num_groups"], "eps": c["norm_eps"], "heads": c["attention_head_dim"],
              "cross_dim": c["cross_attention_dim"], "sdpa": use_sdpa}
        self.conv_in = nn.Conv2d(c["in_channels"], ch[0], 3, padding=1)
        self.time_proj = Timesteps(ch[0], c["flip_sin_to_cos"], c["freq_shift"])
        self.time_embedding = TimestepEmbedding(ch[0], temb)
        self.down_blocks = nn.ModuleList()
        self.up_blocks = nn.ModuleList()
        out = ch[0]
        for i, kind in enumerate(c["down_block_types"]):
            cin, out = out, ch[i]
            self.down_blocks.append(DownBlock(cin, out, c["layers_per_block"], kind == "CrossAttnDownBlock2D", i < n - 1, kw))
        self.mid_block = MidBlock(ch[-1], kw)
        rch = list(reversed(ch))
        out = rch[0]
        for i, kind in enumerate(c["up_block_types"]):
            prev, out = out, rch[i]
            cin = rch[min(i + 1, n - 1)]
            self.up_blocks.append(UpBlock(cin, prev, out, c["layers_per_block"] + 1, kind == "CrossAttnUpBlock2D", i < n - 1, kw))
        self.conv_norm_out = nn.GroupNorm(c["norm_num_groups"], ch[0], eps=c["norm_eps"])
        self.conv_out = nn.Conv2d(ch[0], c["out_channels"], 3, padding=1)

    def forward(self, sample, timesteps, context):
        temb = self.time_embedding(self.time_proj(timesteps))
        x = self.conv_in(sample)
        skips = [x]
        for blk in self.down_blocks:
            x, s = blk(x, temb, context)
            skips.extend(s)
        x = self.mid_block(x, temb, context)
        for blk in self.up_blocks:
            k = len(blk.resnets)
            res, skips = skips[-k:], skips[:-k]
            x = blk(x, res, temb, context)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=5, help="timed steps (at least 3) after 2 warm-up steps")
    p.add_argument("--expect_params", type=int, default=None, help="the TypeScript model's parameter count; exit 3 on a mismatch")
    p.add_argument("--attn", choices=["auto", "sdpa", "math"], default="auto",
                   help="auto: F.scaled_dot_product_attention where torch has it (diffusers' AttnProcessor2_0), else softmax(QK^T)V")
    p.add_argument("--list_params", action="store_true", help="print 'name shape' per parameter and exit")
    a = p.parse_args()
    if a.batch < 1 or a.threads < 1:
        p.error("--batch and --threads must be positive")
    if a.attn == "sdpa" and not HAS_SDPA:
        p.error(f"torch {torch.__version__} has no scaled_dot_product_attention")
    use_sdpa = HAS_SDPA if a.attn == "auto" else a.attn == "sdpa"

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = UNet2DConditionModel(CONFIG, use_sdpa).float().train()
    params = sum(t.numel() for t in model.parameters())
    if a.list_params:
        for name, t in model.named_parameters():
            print(name, "x".join(str(d) for d in t.shape))
        return
    if a.expect_params is not None and params != a.expect_params:
        print(f"torch_unet.py: parameter count mismatch: PyTorch model has {params}, expected {a.expect_params} "
              f"(the TypeScript model's); the two models differ", file=sys.stderr)
        sys.exit(3)

    b, size = a.batch, CONFIG["sample_size"]
    sample = torch.randn(b, CONFIG["in_channels"], size, size)
    context = torch.randn(b, TOKENS, CONFIG["cross_attention_dim"])
    timesteps = torch.tensor([(10 + 61 * i) % 1000 for i in range(b)], dtype=torch.long)

    def step():
        model.zero_grad(set_to_none=True)
        out = model(sample, timesteps, context)
        out.pow(2).mean().backward()

    for _ in range(2):
        step()
    times, cpu = [], []
    for _ in range(max(3, a.steps)):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        times.append((time.perf_counter() - t0) * 1000.0)
        cpu.append((time.process_time() - c0) * 1000.0)
    print(json.dumps({
        "ms": round(statistics.median(times), 3),
        "cpu_ms": round(statistics.median(cpu), 3),
        "params": params,
        "threads": torch.get_num_threads(),
        "batch": b,
        "torch": torch.__version__,
        "attn": "sdpa" if use_sdpa else "math",
        "blas": loaded_blas(),
    }))


if __name__ == "__main__":
    main()
