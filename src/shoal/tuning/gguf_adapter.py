"""Write a trained LoRA adapter as a GGUF adapter file that llama.cpp applies at load time.

llama.cpp's adapter format (what ``llama_adapter_lora_init`` reads):

- metadata ``general.type = "adapter"``, ``general.architecture`` equal to the base model's,
  ``adapter.type = "lora"`` and ``adapter.lora.alpha`` (llama.cpp scales by alpha / rank);
- for every adapted weight ``W`` of the base GGUF (e.g. ``blk.3.attn_q.weight``) two tensors
  ``<name>.lora_a`` and ``<name>.lora_b``. In numpy (row-major) order ``lora_a`` is
  ``[rank, in_features]`` and ``lora_b`` is ``[out_features, rank]`` — exactly PEFT's
  ``lora_A.weight`` / ``lora_B.weight`` — so in ggml's reversed dimension order
  ``a.ne = [in, rank]`` and ``b.ne = [rank, out]``, matching ``W.ne = [in, out]``.

Llama-architecture GGUFs store ``attn_q`` / ``attn_k`` with their output rows permuted (llama.cpp
uses interleaved rotary pairs, Hugging Face uses halves). transformers undoes that permutation
when it loads a GGUF, so an adapter trained on the loaded model must have the same permutation
applied to the output rows of ``lora_b`` of q and k before it matches the GGUF weights.

Only numpy and the ``gguf`` package are needed here; no torch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from shoal.errors import DependencyMissingError, ShoalError

# Hugging Face module suffix → llama.cpp tensor base name (per block).
HF_TO_GGUF: dict[str, str] = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
# Architectures whose GGUF conversion permutes q/k rows for rotary embeddings.
_ROPE_PERMUTED = {"llama"}
_LAYER = re.compile(r"(?:^|\.)layers\.(\d+)\.(.+)$")


class AdapterExportError(ShoalError):
    """The adapter does not fit the base GGUF (unknown layer, wrong shape, unsupported arch)."""


@dataclass(frozen=True)
class BaseGGUFInfo:
    """What the export needs to know about the base model file."""

    path: Path
    architecture: str
    head_count: int
    head_count_kv: int
    tensor_shapes: dict[str, tuple[int, ...]]  # ggml order: (in_features, out_features)


def _import_gguf() -> Any:
    try:
        import gguf
    except ImportError:
        raise DependencyMissingError("the gguf package is not installed",
                                     hint="pip install 'shoal[tuning]' (or: pip install gguf)") from None
    return gguf


def read_base_info(path: Path) -> BaseGGUFInfo:
    """Read architecture, head counts and tensor shapes from a base GGUF (no weights loaded)."""
    gguf = _import_gguf()
    try:
        reader = gguf.GGUFReader(str(path))
    except (OSError, ValueError) as exc:
        raise AdapterExportError(f"cannot read base GGUF {path}: {exc}") from None
    fields = reader.fields

    def value(key: str) -> Any:
        field = fields.get(key)
        if field is None:
            raise AdapterExportError(f"base GGUF {path} lacks metadata key {key!r}")
        return field.contents()

    arch = str(value("general.architecture"))
    heads = int(value(f"{arch}.attention.head_count"))
    kv_field = fields.get(f"{arch}.attention.head_count_kv")
    heads_kv = int(kv_field.contents()) if kv_field is not None else heads
    shapes = {t.name: tuple(int(d) for d in t.shape) for t in reader.tensors}
    return BaseGGUFInfo(path, arch, heads, heads_kv, shapes)


def gguf_tensor_name(hf_module: str) -> str:
    """``model.layers.3.self_attn.q_proj`` → ``blk.3.attn_q.weight``."""
    match = _LAYER.search(hf_module)
    if not match or match.group(2) not in HF_TO_GGUF:
        raise AdapterExportError(
            f"no llama.cpp tensor for adapted module {hf_module!r}",
            hint=f"adapt only these projections: {', '.join(s.split('.')[-1] for s in HF_TO_GGUF)}")
    return f"blk.{match.group(1)}.{HF_TO_GGUF[match.group(2)]}.weight"


def rope_permute_rows(matrix: np.ndarray[Any, Any], n_head: int) -> np.ndarray[Any, Any]:
    """Reorder output rows from HF's rotary layout (halves) to llama.cpp's (interleaved pairs)."""
    rows = matrix.shape[0]
    if rows % (n_head * 2):
        raise AdapterExportError(f"cannot permute {rows} rows into {n_head} rotary heads")
    return (matrix.reshape(n_head, 2, rows // n_head // 2, *matrix.shape[1:])
            .swapaxes(1, 2).reshape(matrix.shape))


def lora_pairs_from_state_dict(state: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Group PEFT state-dict entries (``…q_proj.lora_A.weight``) by module → (A, B)."""
    pairs: dict[str, dict[str, Any]] = {}
    for key, tensor in state.items():
        for tag, slot in ((".lora_A.weight", "A"), (".lora_B.weight", "B")):
            if key.endswith(tag):
                module = key[: -len(tag)].removeprefix("base_model.model.")
                pairs.setdefault(module, {})[slot] = tensor
                break
    out: dict[str, tuple[Any, Any]] = {}
    for module, ab in pairs.items():
        if "A" not in ab or "B" not in ab:
            raise AdapterExportError(f"adapter state for {module!r} lacks lora_A or lora_B")
        out[module] = (ab["A"], ab["B"])
    return out


def write_lora_gguf(out_path: Path, base: BaseGGUFInfo, pairs: Mapping[str, tuple[Any, Any]], *,
                    alpha: float, name: str = "shoal-lora") -> int:
    """Write ``pairs`` (HF module name → (A [r,in], B [out,r]) arrays) as a GGUF LoRA adapter.

    Every tensor is checked against the base GGUF's shapes so a mismatch fails here, with the
    tensor named, rather than inside llama.cpp at serving time. Returns the tensor count.
    """
    gguf = _import_gguf()
    if not pairs:
        raise AdapterExportError("the adapter has no LoRA tensors")
    tensors: list[tuple[str, np.ndarray[Any, Any]]] = []
    for module in sorted(pairs, key=_module_order):
        a = np.ascontiguousarray(np.asarray(pairs[module][0], dtype=np.float32))
        b = np.asarray(pairs[module][1], dtype=np.float32)
        target = gguf_tensor_name(module)
        if base.architecture in _ROPE_PERMUTED:
            if target.endswith(".attn_q.weight"):
                b = rope_permute_rows(b, base.head_count)
            elif target.endswith(".attn_k.weight"):
                b = rope_permute_rows(b, base.head_count_kv)
        b = np.ascontiguousarray(b)
        shape = base.tensor_shapes.get(target)
        if shape is None:
            raise AdapterExportError(f"base GGUF {base.path} has no tensor {target!r} (for {module})")
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
            raise AdapterExportError(f"{module}: lora_A {a.shape} and lora_B {b.shape} do not share a rank")
        if (a.shape[1], b.shape[0]) != shape:
            raise AdapterExportError(
                f"{module}: adapter maps {a.shape[1]}→{b.shape[0]} but {target} is {shape[0]}→{shape[1]}",
                hint="train the adapter on the same base model the GGUF was made from")
        tensors.append((f"{target}.lora_a", a))
        tensors.append((f"{target}.lora_b", b))

    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(out_path.suffix + ".tmp")
    writer = gguf.GGUFWriter(str(tmp), arch=base.architecture)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
    writer.add_name(name)
    for tname, array in tensors:
        writer.add_tensor(tname, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(out_path)  # never leave a half-written adapter where a server could load it
    return len(tensors)


def _module_order(module: str) -> tuple[int, str]:
    match = _LAYER.search(module)
    return (int(match.group(1)) if match else -1, module)
