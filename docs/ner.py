"""NER's two standard heads on one synthetic tagging task: a linear-chain CRF and GlobalPointer.

The same encoder (embedding, then a width-3 convolution) feeds either
per-token BIO emissions trained with :func:`mlcloss.crf_loss` and decoded by
:func:`mlcloss.crf_decode`, or per-type span scores trained with
:func:`mlcloss.global_pointer_crossentropy` (a span is predicted where its
score is above 0). Sentences of 16 tokens hold up to three entities of two
types; an entity's type is its first word's, and its extent runs over the
"continuation" words after it, so a head must read context to find the
boundaries. ``write(path)`` trains both in torch (CPU, seconds) and writes the
table of span F1 on held-out sentences that docs/sequence.md includes.
"""

from __future__ import annotations

import time

import numpy as np
import torch

import mlcloss

LENGTH, TYPES, BATCH, STEPS = 16, 2, 64, 300
CONTEXT, STARTS, CONTINUE = 30, (30, 35), 40  # words 0-29 context, 30-34 / 35-39 start a type
VOCAB = 45  # 40-44 continue the entity before them


def sentences(n, rng):
    """``(tokens [n, L], spans)``: each sentence's entities as ``(type, start, end)`` triples."""
    tokens = rng.integers(0, CONTEXT, (n, LENGTH))
    spans = []
    for row in range(n):
        found, position = [], int(rng.integers(0, 4))
        while position < LENGTH - 1 and len(found) < 3:
            kind, extra = int(rng.integers(TYPES)), int(rng.integers(0, 3))
            end = min(position + extra, LENGTH - 1)
            tokens[row, position] = STARTS[kind] + rng.integers(5)
            tokens[row, position + 1 : end + 1] = CONTINUE + rng.integers(5, size=end - position)
            found.append((kind, position, end))
            position = end + 1 + int(rng.integers(1, 5))
        spans.append(found)
    return tokens, spans


def bio(spans):
    """BIO tags ``[n, L]``: 0 outside, 1 + 2·type at an entity's first token, 2 + 2·type inside."""
    tags = np.zeros((len(spans), LENGTH), np.int64)
    for row, found in enumerate(spans):
        for kind, start, end in found:
            tags[row, start], tags[row, start + 1 : end + 1] = 1 + 2 * kind, 2 + 2 * kind
    return tags


def from_bio(tags):
    """The spans of BIO tags (an I after O or after another type starts nothing)."""
    out = []
    for row in tags:
        found, current = [], None
        for t, tag in enumerate(list(row) + [0]):
            if current is not None and tag != 2 + 2 * current[0]:
                found.append((current[0], current[1], t - 1))
                current = None
            if tag > 0 and tag % 2 == 1:
                current = ((tag - 1) // 2, t)
        out.append(found)
    return out


def span_f1(predicted, gold):
    hits = sum(len(set(p) & set(g)) for p, g in zip(predicted, gold))
    guessed, true = sum(map(len, predicted)), sum(map(len, gold))
    return 2 * hits / max(guessed + true, 1)


class Encoder(torch.nn.Module):
    def __init__(self, width=64):
        super().__init__()
        self.embed = torch.nn.Embedding(VOCAB, 32)
        self.conv = torch.nn.Conv1d(32, width, 3, padding=1)

    def forward(self, tokens):
        return torch.relu(self.conv(self.embed(tokens).transpose(1, 2))).transpose(1, 2)


class CRFTagger(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder, tags = Encoder(), 1 + 2 * TYPES
        self.emit = torch.nn.Linear(64, tags)
        self.transitions = torch.nn.Parameter(torch.zeros(tags, tags))

    def loss(self, tokens, spans):
        emissions = self.emit(self.encoder(tokens))
        return mlcloss.crf_loss(emissions, torch.as_tensor(bio(spans)), self.transitions)

    def spans(self, tokens):
        best = mlcloss.crf_decode(self.emit(self.encoder(tokens)), self.transitions)
        return from_bio(best.numpy())


class GlobalPointer(torch.nn.Module):
    def __init__(self, head=16):
        super().__init__()
        self.encoder, self.head = Encoder(), head
        self.project = torch.nn.Linear(64, TYPES * 2 * head)

    def logits(self, tokens):
        q, k = self.project(self.encoder(tokens)).view(len(tokens), LENGTH, TYPES, 2, -1).unbind(3)
        return torch.einsum("bihd,bjhd->bhij", q, k) / self.head**0.5  # [B, types, L, L]

    def loss(self, tokens, spans):
        labels = torch.zeros(len(tokens), TYPES, LENGTH, LENGTH)
        for row, found in enumerate(spans):
            for kind, start, end in found:
                labels[row, kind, start, end] = 1
        return mlcloss.global_pointer_crossentropy(self.logits(tokens), labels)

    def spans(self, tokens):
        scores = self.logits(tokens).detach().numpy()
        keep = np.triu(np.ones((LENGTH, LENGTH), bool))
        return [[(h, i, j) for h, i, j in zip(*np.nonzero((s > 0) & keep))] for s in scores]


def train(model, rng):
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    start = time.perf_counter()
    for _ in range(STEPS):
        tokens, spans = sentences(BATCH, rng)
        optimiser.zero_grad()
        model.loss(torch.as_tensor(tokens), spans).backward()
        optimiser.step()
    return (time.perf_counter() - start) / STEPS


def write(path) -> str:
    torch.manual_seed(0)
    test_tokens, test_spans = sentences(1000, np.random.default_rng(1))
    rows = []
    for name, model in (("linear-chain CRF", CRFTagger()), ("GlobalPointer", GlobalPointer())):
        per_step = train(model, np.random.default_rng(0))
        with torch.no_grad():
            f1 = span_f1(model.spans(torch.as_tensor(test_tokens)), test_spans)
        rows.append(f"| {name} | {f1:.3f} | {per_step * 1e3:.1f} ms |")
    table = "\n".join(
        [
            f"| head ({STEPS} steps of {BATCH} sentences, torch CPU) | span F1, 1000 held-out "
            "sentences | time a training step |",
            "| --- | --- | --- |",
            *rows,
        ]
    )
    path.write_text(table + "\n")
    return table
