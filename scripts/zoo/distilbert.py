"""DistilBERT (base, uncased) sequence classifier, rebuilt from plain torch modules with random
weights.

  input_ids, attention_mask (B x 128 int64)
  -> word embedding (30522 x 768) + learned positions (512) -> LayerNorm
  -> 6 post-LN transformer blocks: 12-head self-attention where masked keys (mask == 0) get
     the most negative float before the softmax, residual + LayerNorm; FFN 768 -> 3072 -> 768
     with GELU, residual + LayerNorm (eps 1e-12 everywhere)
  -> the [CLS] position -> pre-classifier Linear + ReLU -> 2-class Linear.

Outputs: logits (B x 2) and the last hidden state (B x 128 x 768). The real classifier
returns the logits; the hidden state is exported too because two logits alone would check
little of the model. The test sequence is [CLS] + random word pieces + [SEP], padded with 0
and masked to a random length, so the attention mask matters.
"""
import math

import torch
import torch.nn as nn

VOCAB, MAX_POSITIONS = 30522, 512
DIM, HEADS, LAYERS, HIDDEN = 768, 12, 6, 3072
SEQ, CLASSES = 128, 2
EPS = 1e-12
CLS, SEP = 101, 102


class SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_lin = nn.Linear(DIM, DIM)
        self.k_lin = nn.Linear(DIM, DIM)
        self.v_lin = nn.Linear(DIM, DIM)
        self.out_lin = nn.Linear(DIM, DIM)

    def forward(self, x, mask):
        b, t, _ = x.shape
        d = DIM // HEADS

        def heads(y):
            return y.view(b, t, HEADS, d).transpose(1, 2)

        q = heads(self.q_lin(x)) / math.sqrt(d)
        scores = q @ heads(self.k_lin(x)).transpose(2, 3)
        masked = (mask == 0).view(b, 1, 1, t).expand_as(scores)
        scores = scores.masked_fill(masked, torch.finfo(scores.dtype).min)
        context = scores.softmax(-1) @ heads(self.v_lin(x))
        return self.out_lin(context.transpose(1, 2).reshape(b, t, DIM))


class TransformerBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = SelfAttention()
        self.sa_layer_norm = nn.LayerNorm(DIM, eps=EPS)
        self.ffn = nn.Sequential(nn.Linear(DIM, HIDDEN), nn.GELU(), nn.Linear(HIDDEN, DIM))
        self.output_layer_norm = nn.LayerNorm(DIM, eps=EPS)

    def forward(self, x, mask):
        x = self.sa_layer_norm(self.attention(x, mask) + x)
        return self.output_layer_norm(self.ffn(x) + x)


class DistilBertClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(VOCAB, DIM)
        self.position_embeddings = nn.Embedding(MAX_POSITIONS, DIM)
        self.embedding_norm = nn.LayerNorm(DIM, eps=EPS)
        self.layers = nn.ModuleList(TransformerBlock() for _ in range(LAYERS))
        self.pre_classifier = nn.Linear(DIM, DIM)
        self.classifier = nn.Linear(DIM, CLASSES)
        # BERT's initialization: N(0, 0.02) weights, zero biases.
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, input_ids, attention_mask):
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions)
        x = self.embedding_norm(x)
        for layer in self.layers:
            x = layer(x, attention_mask)
        pooled = torch.relu(self.pre_classifier(x[:, 0]))
        return self.classifier(pooled), x


def _inputs(n):
    ids = torch.zeros(n, SEQ, dtype=torch.long)
    mask = torch.zeros(n, SEQ, dtype=torch.long)
    for i in range(n):
        length = int(torch.randint(SEQ // 2, SEQ, ()))
        ids[i, 0] = CLS
        ids[i, 1:length - 1] = torch.randint(1000, VOCAB, (length - 2,))
        ids[i, length - 1] = SEP
        mask[i, :length] = 1
    return ids, mask


def build():
    """Returns (module, make_inputs): make_inputs(batch) gives (input_ids, attention_mask)."""
    return DistilBertClassifier(), _inputs
