"""A small decoder-style cross-attention test model (what passes/reassociate_attention.h rewrites).

  queries (2B x 8 x 64), memory (2B x 300 x 64)
  -> x + cross-attention on the memory as Whisper writes it (q and k each scaled by
     d_head^-1/4, unbiased key, biased value, 4 heads)
  -> x + the same with a biased key and an additive mask that hides the last 60 memory rows
  -> 2B x 8 x 64

Eight queries over 300 memory rows: both attentions do less work with the projections moved
to the query and output sides, so Parallax reassociates both; in the second the Softmax
cancels the key bias (the mask is added, so the bias stays a per-row constant). Each example
holds two sequences, so the test data checks a batch of 2.
"""
import torch
import torch.nn as nn

WIDTH, HEADS, QUERIES, MEMORY, HIDDEN = 64, 4, 8, 300, 60


class CrossAttention(nn.Module):
    def __init__(self, key_bias, masked):
        super().__init__()
        self.query = nn.Linear(WIDTH, WIDTH)
        self.key = nn.Linear(WIDTH, WIDTH, bias=key_bias)
        self.value = nn.Linear(WIDTH, WIDTH)
        self.out = nn.Linear(WIDTH, WIDTH)
        self.masked = masked
        mask = torch.zeros(1, 1, 1, MEMORY)
        mask[..., MEMORY - HIDDEN:] = float("-inf")
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x, memory):
        q, k, v = self.query(x), self.key(memory), self.value(memory)
        b, t, s = x.shape[0], x.shape[1], memory.shape[1]
        scale = (WIDTH // HEADS) ** -0.25
        q = q.view(b, t, HEADS, -1).permute(0, 2, 1, 3) * scale
        k = k.view(b, s, HEADS, -1).permute(0, 2, 3, 1) * scale
        v = v.view(b, s, HEADS, -1).permute(0, 2, 1, 3)
        scores = q @ k
        if self.masked:
            scores = scores + self.mask
        p = scores.softmax(-1)
        return self.out((p @ v).permute(0, 2, 1, 3).flatten(start_dim=2))


class CrossAttentionPair(nn.Module):
    def __init__(self):
        super().__init__()
        self.plain = CrossAttention(key_bias=False, masked=False)
        self.masked = CrossAttention(key_bias=True, masked=True)

    def forward(self, x, memory):
        x = x + self.plain(x, memory)
        return x + self.masked(x, memory)


def build():
    """Returns (module, make_inputs): make_inputs(n) gives 2n query and memory sequences."""
    return CrossAttentionPair(), lambda n: (torch.randn(2 * n, QUERIES, WIDTH),
                                            torch.randn(2 * n, MEMORY, WIDTH))
