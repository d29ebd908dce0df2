#!/usr/bin/env python3
"""LoRA training throughput of Shoal's trainer (``shoal.tuning.lora.train_adapter``), CPU vs GPU.

Trains the same LoRA configuration on the same helpdesk examples (examples/helpdesk/generate.py)
on every device asked for, in one run, and prints training tokens/s and the ratio to the CPU run
(the peer measured in the same run). The model is the embedded SmolLM2-135M loaded from its GGUF,
or — with ``--random-init DIR`` (a Hugging Face config + tokenizer directory) — the same
architecture with random weights: same shapes, same FLOPs, same timing, for machines the 98 MB
GGUF cannot travel to.

    python bench/tuning_lora.py --steps 20                       # cpu (and cuda when present)
    python bench/tuning_lora.py --random-init .bench_assets --devices cpu,cuda --threads 16
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path
from typing import Any

from shoal.feedback.examples import Example
from shoal.tuning.config import LoraConfig

ROOT = Path(__file__).resolve().parents[1]


def helpdesk_examples(n: int, seed: int = 7) -> list[Example]:
    spec = importlib.util.spec_from_file_location("helpdesk_generate", ROOT / "examples/helpdesk/generate.py")
    assert spec is not None and spec.loader is not None
    gen: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    import random

    rows = gen.generate(n, random.Random(seed), set())
    return [Example(messages=(("system", gen.SYSTEM_PROMPT), ("user", r["ticket"])), completion=r["queue"])
            for r in rows]


def load(args: argparse.Namespace) -> tuple[Any, Any]:
    import torch
    import transformers

    if args.random_init:
        tok = transformers.AutoTokenizer.from_pretrained(args.random_init)
        config = transformers.AutoConfig.from_pretrained(args.random_init)
        torch.manual_seed(0)
        auto: Any = transformers.AutoModelForCausalLM  # untyped in transformers' stubs
        return auto.from_config(config, dtype=torch.float32), tok
    from shoal.models.local import bundled_gguf_path
    from shoal.tuning.lora import load_gguf_model

    model, tok = load_gguf_model(Path(args.gguf) if args.gguf else bundled_gguf_path())
    return model, tok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gguf", help="base GGUF (default: the embedded SmolLM2)")
    ap.add_argument("--random-init", help="HF config+tokenizer dir: same architecture, random weights")
    ap.add_argument("--devices", default="cpu,cuda")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--examples", type=int, default=240)
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()

    import torch

    from shoal.tuning.lora import default_threads, train_adapter

    threads = args.threads or default_threads()
    torch.set_num_threads(threads)
    examples = helpdesk_examples(args.examples)
    hp = LoraConfig(rank=16, alpha=32, batch_size=args.batch_size, max_steps=args.steps, epochs=100,
                    learning_rate=1e-3, max_seq_len=192, threads=threads)
    results: dict[str, dict[str, float]] = {}
    for device in args.devices.split(","):
        if device == "cuda" and not torch.cuda.is_available():
            print("cuda: not available, skipped")
            continue
        model, tok = load(args)
        started = time.perf_counter()
        _, _, stats = train_adapter(model, tok, examples, hp, device=device)
        results[device] = {"steps": stats.steps, "tokens": stats.tokens, "seconds": round(stats.seconds, 2),
                           "tokens_per_s": round(stats.tokens / stats.seconds, 1),
                           "s_per_step": round(stats.seconds / stats.steps, 3),
                           "first_loss": round(stats.losses[0], 3), "last_loss": round(stats.losses[-1], 3),
                           "wall_s_with_setup": round(time.perf_counter() - started, 2)}
        name = torch.cuda.get_device_name() if device == "cuda" else f"{threads} CPU threads"
        r = results[device]
        print(f"{device} ({name}): {r['steps']} steps, {r['tokens']} tokens in {r['seconds']} s = "
              f"{r['tokens_per_s']} tok/s ({r['s_per_step']} s/step); loss {r['first_loss']} → {r['last_loss']}")
        del model
    if "cpu" in results and "cuda" in results:
        print(f"ratio cuda/cpu tokens/s: {results['cuda']['tokens_per_s'] / results['cpu']['tokens_per_s']:.1f}x")
    if args.json:
        args.json.write_text(json.dumps({"threads": threads, "results": results}, indent=2))


if __name__ == "__main__":
    main()
