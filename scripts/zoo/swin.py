"""SwinV2-Tiny (torchvision swin_v2_t) with its window attention made exportable.

torchvision's ShiftedWindowAttentionV2 drops the key bias by cloning the qkv bias and calling
zero_() on its middle third, in every forward. The ONNX exporter of torch 1.13 rejects that
(`aten::zero` is not supported), so each attention module's forward is replaced by
window_attention below, which computes the same function with the key bias built out of place
(q bias | zeros | v bias) and the shifted-window mask built from region ids without in-place
writes. build() checks that the patched model matches torchvision's own forward on a probe
image before returning it.

Torchvision initializes every Linear bias to zero, which would make the bias handling
invisible; the biases are therefore drawn from N(0, 0.02), including the key third that the
model must ignore.
"""
import math
import types

import torch
import torch.nn.functional as F

IMAGE = 224


def _shift_mask(height, width, window, shift):
    """Additive mask (windows x T x T): -100 between tokens of different regions of the
    cyclically shifted map, 0 within a region. Regions are the 3 x 3 grid cut at -window and
    -shift along each axis."""
    def region_ids(n, w, s):
        return torch.cat((torch.zeros(n - w), torch.ones(w - s), torch.full((s,), 2.0)))

    ids = region_ids(height, window[0], shift[0])[:, None] * 3 + \
        region_ids(width, window[1], shift[1])[None, :]
    nh, nw = height // window[0], width // window[1]
    ids = ids.view(nh, window[0], nw, window[1]).permute(0, 2, 1, 3)
    ids = ids.reshape(nh * nw, window[0] * window[1])
    diff = ids.unsqueeze(1) - ids.unsqueeze(2)
    return torch.where(diff != 0, torch.tensor(-100.0), torch.tensor(0.0))


def window_attention(self, x):
    """Forward of a ShiftedWindowAttentionV2 on x (B x H x W x C), export-friendly."""
    b, h, w, c = x.shape
    window = self.window_size
    heads = self.num_heads
    pad_b, pad_r = (-h) % window[0], (-w) % window[1]
    x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))
    height, width = h + pad_b, w + pad_r
    # A window that covers the whole (padded) map has nothing to shift against.
    shift = [self.shift_size[0] if window[0] < height else 0,
             self.shift_size[1] if window[1] < width else 0]
    shifted = sum(shift) > 0
    if shifted:
        x = torch.roll(x, shifts=(-shift[0], -shift[1]), dims=(1, 2))

    nh, nw = height // window[0], width // window[1]
    tokens = window[0] * window[1]
    x = x.view(b, nh, window[0], nw, window[1], c).permute(0, 1, 3, 2, 4, 5)
    x = x.reshape(b * nh * nw, tokens, c)

    bias = self.qkv.bias
    bias = torch.cat((bias[:c], torch.zeros_like(bias[c:2 * c]), bias[2 * c:]))
    qkv = F.linear(x, self.qkv.weight, bias)
    q, k, v = qkv.reshape(x.shape[0], tokens, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
    # Cosine attention with a learned, clamped per-head temperature.
    attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
    attn = attn * torch.clamp(self.logit_scale, max=math.log(100.0)).exp()
    attn = attn + self.get_relative_position_bias()
    if shifted:
        mask = _shift_mask(height, width, window, shift)
        attn = attn.view(b, nh * nw, heads, tokens, tokens) + mask.unsqueeze(1).unsqueeze(0)
        attn = attn.view(-1, heads, tokens, tokens)
    attn = F.softmax(attn, dim=-1)

    y = (attn @ v).transpose(1, 2).reshape(x.shape[0], tokens, c)
    y = self.proj(y)
    y = y.view(b, nh, nw, window[0], window[1], c).permute(0, 1, 3, 2, 4, 5)
    y = y.reshape(b, height, width, c)
    if shifted:
        y = torch.roll(y, shifts=(shift[0], shift[1]), dims=(1, 2))
    return y[:, :h, :w, :].contiguous()


def build():
    """Returns (module, make_inputs) for swin_v2_t with exportable window attention."""
    import torchvision.models as tvm
    from torchvision.models.swin_transformer import ShiftedWindowAttentionV2

    model = tvm.swin_v2_t(weights=None)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.Linear) and m.bias is not None:
                m.bias.normal_(0.0, 0.02)
    model.eval()
    # 96 x 96 maps to 24, 12, 6, 3 tokens a side: shifted windows, padded + shifted ones and
    # padded windows too large to shift, like 224 x 224 does, at a fifth of the cost.
    probe = torch.randn(1, 3, 96, 96)
    with torch.no_grad():
        want = model(probe)
        for m in model.modules():
            if isinstance(m, ShiftedWindowAttentionV2):
                m.forward = types.MethodType(window_attention, m)
        got = model(probe)
    err = float((got - want).abs().max())
    if err > 1e-4 * float(want.abs().max()):
        raise RuntimeError(f"swin: patched window attention differs from torchvision's by {err}")
    return model, lambda n: (torch.randn(n, 3, IMAGE, IMAGE),)
