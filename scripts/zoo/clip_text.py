"""CLIP ViT-B/32 text encoder, rebuilt from plain torch modules with random weights.

  input_ids (B x 77 int64) -> token embedding (49408 x 512) + learned positions
  -> 12 pre-LN residual blocks (8-head causal self-attention via nn.MultiheadAttention,
     MLP 512 -> 2048 -> 512 with QuickGELU x*sigmoid(1.702x)) -> final LayerNorm
  -> the feature at each sequence's end-of-text token (the argmax of the ids, since EOT has
     the largest id) -> linear projection to the 512-d joint embedding space.

Output: B x 512 text embeddings (not normalized, as encode_text returns them). The test ids
follow CLIP's tokenizer layout: start token, random word tokens, end token, zero padding.
"""
import torch
import torch.nn as nn

VOCAB, CONTEXT = 49408, 77
WIDTH, HEADS, LAYERS, EMBED = 512, 8, 12, 512
SOT, EOT = 49406, 49407


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), QuickGELU(),
                                 nn.Linear(4 * width, width))

    def forward(self, x, mask):
        # x is sequence-first (L x B x D), nn.MultiheadAttention's default layout.
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class CLIPTextEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.token_embedding = nn.Embedding(VOCAB, WIDTH)
        self.positional_embedding = nn.Parameter(torch.empty(CONTEXT, WIDTH))
        self.blocks = nn.ModuleList(Block(WIDTH, HEADS) for _ in range(LAYERS))
        self.ln_final = nn.LayerNorm(WIDTH)
        self.text_projection = nn.Parameter(torch.empty(WIDTH, EMBED))
        mask = torch.full((CONTEXT, CONTEXT), float("-inf")).triu(1)
        self.register_buffer("mask", mask, persistent=False)
        self._init_like_clip()

    def _init_like_clip(self):
        """CLIP's own initialization: small embeddings, depth-scaled projections."""
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        proj_std = WIDTH ** -0.5 * (2 * LAYERS) ** -0.5
        attn_std = WIDTH ** -0.5
        fc_std = (2 * WIDTH) ** -0.5
        for block in self.blocks:
            nn.init.normal_(block.attn.in_proj_weight, std=attn_std)
            nn.init.normal_(block.attn.out_proj.weight, std=proj_std)
            nn.init.normal_(block.mlp[0].weight, std=fc_std)
            nn.init.normal_(block.mlp[2].weight, std=proj_std)
        nn.init.normal_(self.text_projection, std=WIDTH ** -0.5)

    def forward(self, input_ids):
        x = self.token_embedding(input_ids) + self.positional_embedding
        x = x.permute(1, 0, 2)
        for block in self.blocks:
            x = block(x, self.mask)
        x = self.ln_final(x.permute(1, 0, 2))
        eot = x[torch.arange(x.shape[0]), input_ids.argmax(dim=-1)]
        return eot @ self.text_projection


def _input_ids(n):
    """Tokenizer-shaped ids: SOT, 5..40 random word tokens, EOT, zeros."""
    ids = torch.zeros(n, CONTEXT, dtype=torch.long)
    for i in range(n):
        words = int(torch.randint(5, 41, ()))
        ids[i, 0] = SOT
        ids[i, 1:1 + words] = torch.randint(1, SOT, (words,))
        ids[i, 1 + words] = EOT
    return ids


def build():
    """Returns (module, make_inputs): make_inputs(batch) gives B x 77 token ids."""
    return CLIPTextEncoder(), lambda n: (_input_ids(n),)
