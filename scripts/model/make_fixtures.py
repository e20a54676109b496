#!/usr/bin/env python3
"""Writes the reference fixtures for kompress-model's encoder tests.

Builds tiny random-weight BERT and ModernBERT models with `transformers` (from configs only:
nothing is downloaded), saves each as `config.json` + `model.safetensors`, and records input
ids, an attention mask and the reference `last_hidden_state` in `reference.safetensors`.

Usage: scripts/model/setup_reference_venv.sh && .cache/pyref/bin/python scripts/model/make_fixtures.py [OUT_DIR]
(default OUT_DIR: crates/kompress-model/tests/fixtures)
"""

import os
import sys

import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
from transformers import BertConfig, BertModel, ModernBertConfig, ModernBertModel

SEQ = 40  # longer than the local window below, so local and global layers differ
BATCH = 2


def bert():
    cfg = BertConfig(
        vocab_size=512,
        hidden_size=64,
        num_hidden_layers=3,
        num_attention_heads=4,
        intermediate_size=96,
        max_position_embeddings=128,
        type_vocab_size=2,
        pad_token_id=0,
    )
    return BertModel(cfg, add_pooling_layer=False)


def modernbert():
    cfg = ModernBertConfig(
        vocab_size=512,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
        cls_token_id=1,
        sep_token_id=2,
        hidden_size=64,
        intermediate_size=96,
        num_hidden_layers=4,
        num_attention_heads=4,
        global_attn_every_n_layers=3,
        local_attention=16,
        max_position_embeddings=128,
    )
    return ModernBertModel(cfg)


def inputs(gen):
    ids = torch.randint(3, 512, (BATCH, SEQ), generator=gen)
    mask = torch.ones(BATCH, SEQ, dtype=torch.long)
    # second row is padded: its last 9 positions are padding
    ids[1, SEQ - 9 :] = 0
    mask[1, SEQ - 9 :] = 0
    return ids, mask


def write(name, model, out_dir, seed):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    # re-initialise with a wider spread than the default so errors are not hidden by tiny weights
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.normal_(0.0, 0.1, generator=gen)
            else:
                p.add_(torch.randn(p.shape, generator=gen) * 0.05)
    model.eval()
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    model.save_pretrained(d, safe_serialization=True)
    ids, mask = inputs(gen)
    with torch.no_grad():
        hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    save_file(
        {"input_ids": ids.contiguous(), "attention_mask": mask.contiguous(), "last_hidden_state": hidden.contiguous()},
        os.path.join(d, "reference.safetensors"),
    )
    print(f"{name}: {sum(p.numel() for p in model.parameters())} params -> {d}")


def tiny_wordpiece(out_dir):
    """A 512-piece WordPiece tokenizer for tiny-bert, trained on generated tool-output-like
    lines, so the pruner tests run without the MiniLM package."""
    corpus = []
    for i in range(400):
        corpus.append(f"error[E0{308 + i % 50}]: mismatched types in src/module_{i % 17}.rs:{i}:{i % 80}")
        corpus.append(f"  File \"/usr/lib/python3/site-packages/pkg{i % 9}/core.py\", line {i}, in run_task")
        corpus.append(f"drwxr-xr-x  2 user staff  {4096 + i} Nov 25 09:{i % 60:02d} build_{i % 23}")
        corpus.append(f"commit {i * 7919:08x} Author: dev{i % 5} <dev@example.org> fixed the parser test")
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=512, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    )
    tok.train_from_iterator(corpus, trainer)
    assert tok.get_vocab_size() <= 512
    tok.save(os.path.join(out_dir, "tiny-bert", "tokenizer.json"))


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "crates/kompress-model/tests/fixtures"
    torch.manual_seed(0)
    write("tiny-bert", bert(), out_dir, 11)
    tiny_wordpiece(out_dir)
    torch.manual_seed(0)
    write("tiny-modernbert", modernbert(), out_dir, 12)


if __name__ == "__main__":
    main()
