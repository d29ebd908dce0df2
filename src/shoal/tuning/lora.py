"""LoRA supervised fine-tuning of a GGUF open model, on CPU (or a GPU when one is present).

The base model is a GGUF file (what the embedded ``llama_cpp`` provider serves). transformers ≥ 5
loads it dequantised to fp32 but attaches a GGUF quantizer that marks the model non-trainable;
detaching ``hf_quantizer`` and the config's ``quantization_config`` makes it a plain model. A raw
PEFT loop then trains the adapter with the loss on the answer tokens only, and the result is
written twice: as a PEFT adapter directory and as a GGUF LoRA adapter that llama.cpp applies at
load time (``models.NAME.options.lora_path``).

Prompts are rendered with the model's own chat template (read from the GGUF) and tokenised exactly
as llama.cpp tokenises them at serving time, so the adapter learns the format it will be served in.

torch, transformers and peft are imported inside the functions: ``import shoal.tuning.lora`` is cheap.
"""

from __future__ import annotations

import math
import os
import random
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shoal.errors import DependencyMissingError, ShoalError
from shoal.feedback.examples import Example
from shoal.tuning.config import LoraConfig
from shoal.tuning.gguf_adapter import lora_pairs_from_state_dict, read_base_info, write_lora_gguf

INSTALL_HINT = 'pip install "shoal[tuning]" (transformers>=5, peft, gguf; keep your installed torch)'
IGNORE = -100  # label value the loss skips (prompt and padding tokens)


@dataclass(frozen=True, slots=True)
class TrainProgress:
    """Reported after every optimiser step."""

    step: int
    total_steps: int
    epoch: float
    loss: float
    tokens: int  # tokens processed so far (prompt + answer, no padding)
    elapsed_s: float

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float:
        return self.elapsed_s / self.step * (self.total_steps - self.step) if self.step else float("nan")


@dataclass(frozen=True)
class TrainResult:
    """What a training run produced and how it went (stored in the registry's lineage)."""

    adapter_dir: Path
    gguf_path: Path
    device: str
    threads: int
    train_examples: int
    steps: int
    epochs: float
    train_tokens: int
    seconds: float
    first_loss: float
    final_loss: float
    losses: list[float] = field(default_factory=list)

    @property
    def tokens_per_s(self) -> float:
        return self.train_tokens / self.seconds if self.seconds > 0 else 0.0

    def metrics(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k not in {"adapter_dir", "gguf_path", "losses"}}
        out["tokens_per_s"] = round(self.tokens_per_s, 1)
        return out


def _imports() -> tuple[Any, Any, Any]:
    try:
        import peft
        import torch
        import transformers
    except ImportError as exc:
        raise DependencyMissingError(f"LoRA training needs torch, transformers and peft ({exc.name} is missing)",
                                     hint=INSTALL_HINT) from None
    return torch, transformers, peft


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "shoal" / "gguf-hf"


def load_gguf_model(gguf_path: Path, *, cache_dir: Path | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) from a GGUF file, dequantised to fp32 and made trainable/serialisable.

    Converting a GGUF (dequantising every tensor, building the tokenizer from its vocabulary) takes
    tens of seconds on a small CPU, so the converted model is kept as a plain Hugging Face checkpoint
    under ``cache_dir``, keyed by the GGUF's content hash; later loads take a second or two.
    """
    torch, transformers, _ = _imports()
    transformers.utils.logging.disable_progress_bar()  # our own bar reports progress
    if not gguf_path.is_file():
        raise ShoalError(f"base GGUF not found: {gguf_path}")
    from shoal.tuning.registry import file_sha256

    cached = (cache_dir or default_cache_dir()) / file_sha256(gguf_path)[:24]
    if (cached / "config.json").is_file() and (cached / "tokenizer_config.json").is_file():
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(cached))
        model = transformers.AutoModelForCausalLM.from_pretrained(str(cached), dtype=torch.float32)
    else:
        folder, name = str(gguf_path.parent), gguf_path.name
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, gguf_file=name)
        model = transformers.AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
        # The GGUF quantizer marks the model as not trainable and not serialisable; the weights are
        # already plain dequantised tensors, so detaching it is all that is needed.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        _save_cache(model, tokenizer, cached)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def _save_cache(model: Any, tokenizer: Any, target: Path) -> None:
    """Write the converted checkpoint atomically; a cache that cannot be written is only slower."""
    import shutil
    import tempfile

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
        model.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        try:
            os.rename(tmp, target)
        except OSError:  # another process cached it first
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError:
        pass


def encode(tokenizer: Any, example: Example, max_len: int) -> tuple[list[int], list[int]] | None:
    """Token ids and labels (answer tokens only) of one SFT example; None when nothing is left to learn."""
    if not example.completion:
        return None
    chat = example.chat()
    prompt = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(chat + [{"role": "assistant", "content": example.completion}],
                                         tokenize=False)
    answer = full[len(prompt):] if full.startswith(prompt) else example.completion + (tokenizer.eos_token or "")
    # Tokenise the two parts separately: the prompt must be tokenised exactly as llama.cpp will
    # tokenise it when serving (no merge across the prompt/answer boundary).
    p_ids = tokenizer(prompt, add_special_tokens=False).input_ids
    a_ids = tokenizer(answer, add_special_tokens=False).input_ids
    if not a_ids:
        return None
    a_ids = a_ids[:max_len - 1]
    p_ids = p_ids[-(max_len - len(a_ids)):]  # keep the end of a long prompt: the question is there
    return p_ids + a_ids, [IGNORE] * len(p_ids) + a_ids


def default_threads() -> int:
    return max(1, (os.cpu_count() or 2) - 1)


def _schedule(step: int, total: int, warmup: int) -> float:
    if step < warmup:
        return (step + 1) / (warmup + 1)
    return max(0.0, (total - step) / max(1, total - warmup))


@dataclass(frozen=True)
class LoopStats:
    steps: int
    epochs: float
    tokens: int
    seconds: float
    losses: list[float]


def train_adapter(model: Any, tokenizer: Any, examples: Sequence[Example], hp: LoraConfig, *, device: str,
                  progress: Callable[[TrainProgress], None] | None = None) -> tuple[Any, int, LoopStats]:
    """Wrap ``model`` with LoRA and run the training loop; returns (peft model, examples used, stats)."""
    torch, _, peft = _imports()
    encoded = [e for e in (encode(tokenizer, ex, hp.max_seq_len) for ex in examples if ex.is_sft) if e]
    if not encoded:
        raise ShoalError("no SFT examples to train on",
                         hint="a dataset needs corrections or answers rated good in its train split")
    config = peft.LoraConfig(r=hp.rank, lora_alpha=hp.alpha, lora_dropout=hp.dropout,
                             target_modules=list(hp.target_modules), task_type="CAUSAL_LM", bias="none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # peft calls a deprecated transformers alias
        model = peft.get_peft_model(model, config)
    model.to(device)
    model.train()

    per_epoch = math.ceil(len(encoded) / hp.batch_size)
    total = max(1, math.ceil(per_epoch * hp.epochs))
    if hp.max_steps:
        total = min(total, hp.max_steps)
    warmup = int(total * hp.warmup_ratio)
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=hp.learning_rate, weight_decay=hp.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: _schedule(s, total, warmup))
    pad = int(tokenizer.pad_token_id)
    order_rng = random.Random(hp.seed)

    losses: list[float] = []
    tokens = 0
    step = 0
    start = time.perf_counter()
    while step < total:
        order = list(range(len(encoded)))
        order_rng.shuffle(order)
        for b in range(0, len(order), hp.batch_size):
            if step >= total:
                break
            batch = [encoded[i] for i in order[b:b + hp.batch_size]]
            width = max(len(ids) for ids, _ in batch)
            ids_t = torch.full((len(batch), width), pad, dtype=torch.long)
            lab_t = torch.full((len(batch), width), IGNORE, dtype=torch.long)
            mask_t = torch.zeros((len(batch), width), dtype=torch.long)
            for row, (ids, labels) in enumerate(batch):
                ids_t[row, :len(ids)] = torch.tensor(ids)
                lab_t[row, :len(labels)] = torch.tensor(labels)
                mask_t[row, :len(ids)] = 1
            out = model(input_ids=ids_t.to(device), attention_mask=mask_t.to(device), labels=lab_t.to(device))
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            scheduler.step()
            optimiser.zero_grad(set_to_none=True)
            step += 1
            tokens += int(mask_t.sum())
            losses.append(float(out.loss.detach()))  # also synchronises a GPU, so timings are honest
            if progress is not None:
                progress(TrainProgress(step, total, step / per_epoch, losses[-1], tokens,
                                       time.perf_counter() - start))
    stats = LoopStats(step, round(step / per_epoch, 3), tokens, time.perf_counter() - start, losses)
    return model, len(encoded), stats


def train_lora(base_gguf: Path, examples: Sequence[Example], out_dir: Path, hp: LoraConfig, *,
               progress: Callable[[TrainProgress], None] | None = None, device: str | None = None,
               adapter_name: str = "shoal-lora", cache_dir: Path | None = None) -> TrainResult:
    """Train a LoRA adapter on the SFT examples; writes ``out_dir/peft/`` and ``out_dir/adapter.gguf``."""
    torch, _, peft = _imports()
    threads = hp.threads or default_threads()
    torch.set_num_threads(threads)
    random.seed(hp.seed)
    torch.manual_seed(hp.seed)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")

    model, tokenizer = load_gguf_model(base_gguf, cache_dir=cache_dir)
    model, used, stats = train_adapter(model, tokenizer, examples, hp, device=device, progress=progress)

    out_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # peft looks for a config.json beside the GGUF to check the vocabulary; there is none.
        warnings.simplefilter("ignore", UserWarning)
        model.save_pretrained(str(out_dir / "peft"))
    state = peft.get_peft_model_state_dict(model)
    # Copies: numpy views would alias the live parameters.
    arrays = {k: v.detach().to("cpu", torch.float32).numpy().copy() for k, v in state.items()}
    gguf_path = out_dir / "adapter.gguf"
    write_lora_gguf(gguf_path, read_base_info(base_gguf), lora_pairs_from_state_dict(arrays), alpha=hp.alpha,
                    name=adapter_name)
    losses = stats.losses
    return TrainResult(adapter_dir=out_dir / "peft", gguf_path=gguf_path, device=device, threads=threads,
                       train_examples=used, steps=stats.steps, epochs=stats.epochs, train_tokens=stats.tokens,
                       seconds=round(stats.seconds, 2), first_loss=losses[0],
                       final_loss=sum(losses[-5:]) / len(losses[-5:]), losses=[round(x, 4) for x in losses])
