"""Whisper-Tiny (encoder and decoder), rebuilt from plain torch modules with random weights.

Dimensions of the 'tiny' checkpoint: 80 mel bins, 3000 frames (30 s), width 384, 6 heads,
4 encoder and 4 decoder blocks, 51865-token vocabulary, 448 text positions.

  encoder  mel (B x 80 x 3000) -> conv1d k3 + GELU -> conv1d k3 s2 + GELU -> + sinusoidal
           positions -> 4 pre-LN blocks (self-attention, MLP 4x GELU) -> LayerNorm
           -> audio features B x 1500 x 384
  decoder  tokens (B x T int64) -> token + learned position embedding -> 4 pre-LN blocks
           (causal self-attention, cross-attention on the audio features, MLP) -> LayerNorm
           -> logits against the tied token embedding, B x T x 51865

Attention scales q and k by d_head^-1/4 each (as the real model does) and the causal mask is
a -inf upper triangle added to the scores. The decoder is exported as a separate model that
takes the audio features as its second input; its test input is the encoder's output for the
same random mel the encoder model is tested with (the two are built from one seed, see
build_encoder / build_decoder), so the pair matches an encoder -> decoder pipeline.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

N_MELS, N_FRAMES = 80, 3000
WIDTH, HEADS, LAYERS = 384, 6, 4
VOCAB, TEXT_CTX = 51865, 448
DECODER_TOKENS = 16


def sinusoids(length, channels, max_timescale=10000.0):
    """Fixed sin | cos position table, length x channels, geometric timescales."""
    step = math.log(max_timescale) / (channels // 2 - 1)
    inv = torch.exp(-step * torch.arange(channels // 2, dtype=torch.float))
    t = torch.arange(length, dtype=torch.float)[:, None] * inv[None, :]
    return torch.cat((torch.sin(t), torch.cos(t)), 1)


class Attention(nn.Module):
    """Multi-head attention; self-attention when kv is None, cross-attention otherwise."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(width, width)
        self.key = nn.Linear(width, width, bias=False)
        self.value = nn.Linear(width, width)
        self.out = nn.Linear(width, width)

    def forward(self, x, kv=None, mask=None):
        kv = x if kv is None else kv
        q, k, v = self.query(x), self.key(kv), self.value(kv)
        b, t, w = q.shape
        s = k.shape[1]
        scale = (w // self.heads) ** -0.25
        q = q.view(b, t, self.heads, -1).permute(0, 2, 1, 3) * scale
        k = k.view(b, s, self.heads, -1).permute(0, 2, 3, 1) * scale
        v = v.view(b, s, self.heads, -1).permute(0, 2, 1, 3)
        scores = q @ k
        if mask is not None:
            scores = scores + mask[:t, :t]
        y = (scores.softmax(-1) @ v).permute(0, 2, 1, 3).flatten(start_dim=2)
        return self.out(y)


class Block(nn.Module):
    """Pre-LN residual block: self-attention, optional cross-attention, MLP."""

    def __init__(self, width, heads, cross):
        super().__init__()
        self.attn_ln = nn.LayerNorm(width)
        self.attn = Attention(width, heads)
        self.cross_ln = nn.LayerNorm(width) if cross else None
        self.cross = Attention(width, heads) if cross else None
        self.mlp_ln = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(),
                                 nn.Linear(4 * width, width))

    def forward(self, x, audio=None, mask=None):
        x = x + self.attn(self.attn_ln(x), mask=mask)
        if self.cross is not None:
            x = x + self.cross(self.cross_ln(x), kv=audio)
        return x + self.mlp(self.mlp_ln(x))


class AudioEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(N_MELS, WIDTH, 3, padding=1)
        self.conv2 = nn.Conv1d(WIDTH, WIDTH, 3, stride=2, padding=1)
        self.register_buffer("positions", sinusoids(N_FRAMES // 2, WIDTH), persistent=False)
        self.blocks = nn.ModuleList(Block(WIDTH, HEADS, cross=False) for _ in range(LAYERS))
        self.ln_post = nn.LayerNorm(WIDTH)

    def forward(self, mel):
        x = F.gelu(self.conv1(mel))
        x = F.gelu(self.conv2(x)).permute(0, 2, 1)
        x = x + self.positions
        for block in self.blocks:
            x = block(x)
        return self.ln_post(x)


class TextDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.token_embedding = nn.Embedding(VOCAB, WIDTH)
        self.positions = nn.Parameter(torch.empty(TEXT_CTX, WIDTH).normal_(0.0, 0.02))
        self.blocks = nn.ModuleList(Block(WIDTH, HEADS, cross=True) for _ in range(LAYERS))
        self.ln = nn.LayerNorm(WIDTH)
        mask = torch.full((TEXT_CTX, TEXT_CTX), float("-inf")).triu(1)
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, tokens, audio):
        x = self.token_embedding(tokens) + self.positions[:tokens.shape[-1]]
        for block in self.blocks:
            x = block(x, audio=audio, mask=self.mask)
        return self.ln(x) @ self.token_embedding.weight.t()


class Whisper(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = AudioEncoder()
        self.decoder = TextDecoder()


def _whisper():
    """The whole model, norms randomized here so both exports see the same weights."""
    from zoo.common import randomize_norms
    model = Whisper()
    randomize_norms(model)
    return model.eval()


def _mel(n):
    # Log-mel features of real audio are roughly in [-1, 1.5] after Whisper's normalization.
    return torch.rand(n, N_MELS, N_FRAMES) * 2.5 - 1.0


def _tokens(n):
    # <|startoftranscript|> <|en|> <|transcribe|> <|notimestamps|>, then random text tokens.
    prompt = torch.tensor([50258, 50259, 50359, 50363]).expand(n, 4)
    text = torch.randint(0, 50257, (n, DECODER_TOKENS - 4))
    return torch.cat((prompt, text), 1)


def build_encoder():
    """Returns (module, make_inputs) for the encoder: input mel, output audio features."""
    return _whisper().encoder, lambda n: (_mel(n),)


def build_decoder():
    """Returns (module, make_inputs) for the decoder: inputs tokens and audio features.

    make_inputs draws the mel first, exactly as the encoder's make_inputs does, so under the
    same seed the decoder's audio input is the encoder model's reference output.
    """
    whisper = _whisper()

    def make_inputs(n):
        mel = _mel(n)
        tokens = _tokens(n)
        with torch.no_grad():
            audio = whisper.encoder(mel)
        return tokens, audio

    return whisper.decoder, make_inputs
