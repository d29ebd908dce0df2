"""The GGUF LoRA adapter writer: llama.cpp's names, shapes, metadata and the q/k row permutation.

The last test checks numerically that llama.cpp applies an exported adapter the way PEFT does on the
transformers model (the change of the logits agrees), which is what the permutation is for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shoal.tuning.gguf_adapter import (
    AdapterExportError,
    BaseGGUFInfo,
    gguf_tensor_name,
    lora_pairs_from_state_dict,
    read_base_info,
    rope_permute_rows,
    write_lora_gguf,
)

gguf = pytest.importorskip("gguf")


@pytest.fixture(scope="module")
def base() -> BaseGGUFInfo:
    from shoal.errors import DependencyMissingError
    from shoal.models.local import bundled_gguf_path

    try:
        path = bundled_gguf_path()
    except DependencyMissingError as exc:  # the weights package is optional
        pytest.skip(str(exc))
    return read_base_info(path)


def test_names_and_permutation() -> None:
    assert gguf_tensor_name("model.layers.12.self_attn.o_proj") == "blk.12.attn_output.weight"
    assert gguf_tensor_name("base_model.model.model.layers.0.mlp.down_proj") == "blk.0.ffn_down.weight"
    with pytest.raises(AdapterExportError, match="no llama.cpp tensor"):
        gguf_tensor_name("model.embed_tokens")
    # Two heads of 4 rows: HF halves (0,1 | 2,3) become llama.cpp's interleaved pairs (0,2,1,3).
    rows = np.arange(8, dtype=np.float32).reshape(8, 1)
    assert rope_permute_rows(rows, 2).ravel().tolist() == [0, 2, 1, 3, 4, 6, 5, 7]
    pairs = lora_pairs_from_state_dict({"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": 1,
                                        "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight": 2})
    assert pairs == {"model.layers.0.self_attn.q_proj": (1, 2)}
    with pytest.raises(AdapterExportError, match="lacks lora_A or lora_B"):
        lora_pairs_from_state_dict({"x.layers.0.self_attn.q_proj.lora_A.weight": 1})


def _random_pairs(base: BaseGGUFInfo, modules: list[str], rank: int, rng: np.random.Generator
                  ) -> dict[str, tuple[Any, Any]]:
    out: dict[str, tuple[Any, Any]] = {}
    for module in modules:
        n_in, n_out = base.tensor_shapes[gguf_tensor_name(module)]
        out[module] = (rng.normal(size=(rank, n_in)).astype(np.float32),
                       rng.normal(size=(n_out, rank)).astype(np.float32))
    return out


def test_written_adapter_has_llama_cpp_layout(base: BaseGGUFInfo, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    modules = ["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.k_proj", "model.layers.1.mlp.up_proj"]
    pairs = _random_pairs(base, modules, 4, rng)
    out = tmp_path / "a.gguf"
    assert write_lora_gguf(out, base, pairs, alpha=8.0, name="test") == 6
    reader = gguf.GGUFReader(str(out))
    assert reader.fields["general.type"].contents() == "adapter"
    assert reader.fields["adapter.type"].contents() == "lora"
    assert reader.fields["adapter.lora.alpha"].contents() == 8.0
    assert reader.fields["general.architecture"].contents() == base.architecture
    tensors = {t.name: t for t in reader.tensors}
    a = tensors["blk.1.ffn_up.weight.lora_a"]
    b = tensors["blk.1.ffn_up.weight.lora_b"]
    n_in, n_out = base.tensor_shapes["blk.1.ffn_up.weight"]
    assert list(a.shape) == [n_in, 4] and list(b.shape) == [4, n_out]  # ggml order
    np.testing.assert_array_equal(np.asarray(b.data).reshape(n_out, 4), pairs["model.layers.1.mlp.up_proj"][1])
    # q and k rows are permuted (with the q and the kv head counts respectively); A is untouched.
    q_b = np.asarray(tensors["blk.0.attn_q.weight.lora_b"].data).reshape(-1, 4)
    np.testing.assert_array_equal(q_b, rope_permute_rows(pairs["model.layers.0.self_attn.q_proj"][1], base.head_count))
    k_b = np.asarray(tensors["blk.0.attn_k.weight.lora_b"].data).reshape(-1, 4)
    np.testing.assert_array_equal(k_b, rope_permute_rows(pairs["model.layers.0.self_attn.k_proj"][1],
                                                         base.head_count_kv))
    assert not out.with_suffix(".gguf.tmp").exists()


def test_shape_mismatch_is_refused_before_serving(base: BaseGGUFInfo, tmp_path: Path) -> None:
    module = "model.layers.0.self_attn.v_proj"
    a = np.zeros((4, 10), dtype=np.float32)
    b = np.zeros((20, 4), dtype=np.float32)
    with pytest.raises(AdapterExportError, match="does not share|adapter maps"):
        write_lora_gguf(tmp_path / "x.gguf", base, {module: (a, b)}, alpha=8)
    with pytest.raises(AdapterExportError, match="no LoRA tensors"):
        write_lora_gguf(tmp_path / "x.gguf", base, {}, alpha=8)


@pytest.mark.slow
@pytest.mark.local_model
def test_llama_cpp_applies_the_adapter_like_peft(base: BaseGGUFInfo, tmp_path: Path) -> None:
    """The logits change PEFT's adapter causes on transformers ≈ the change llama.cpp's adapter causes."""
    torch = pytest.importorskip("torch")
    peft = pytest.importorskip("peft")
    llama_cpp = pytest.importorskip("llama_cpp")
    from shoal.tuning.lora import load_gguf_model

    torch.manual_seed(0)
    model, tok = load_gguf_model(base.path)
    config = peft.LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "k_proj"], init_lora_weights=False)
    model = peft.get_peft_model(model, config).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn_like(param) * 0.1)
    prompt = tok.apply_chat_template([{"role": "user", "content": "Where is my parcel?"}], tokenize=False,
                                     add_generation_prompt=True)
    ids = tok(prompt, add_special_tokens=False).input_ids
    with torch.no_grad():
        tuned = model(torch.tensor([ids])).logits[0].numpy()
        with model.disable_adapter():
            plain = model(torch.tensor([ids])).logits[0].numpy()
    state = peft.get_peft_model_state_dict(model)
    pairs = lora_pairs_from_state_dict({k: v.numpy().copy() for k, v in state.items()})
    write_lora_gguf(tmp_path / "lora.gguf", base, pairs, alpha=16)

    def llama_logits(lora: Path | None) -> Any:
        kw: dict[str, Any] = {"model_path": str(base.path), "n_ctx": 256, "n_threads": 1, "logits_all": True,
                              "verbose": False}
        if lora is not None:
            kw["lora_path"] = str(lora)
        llm = llama_cpp.Llama(**kw)
        llm.eval(ids)
        return np.array(llm.scores[:len(ids)])

    def corr(x: Any, y: Any) -> float:
        x, y = x.ravel() - x.mean(), y.ravel() - y.mean()
        return float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))

    base_logits = llama_logits(None)
    delta = llama_logits(tmp_path / "lora.gguf") - base_logits
    assert np.abs(tuned - plain).max() > 1.0  # the adapter matters
    # Quantised activations in llama.cpp add noise; the direction of the change must agree.
    assert corr(tuned - plain, delta) > 0.8
