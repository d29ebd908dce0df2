"""Tokens/s of the embedded model through Shoal versus llama-cpp-python called directly.

Same GGUF, same prompt, same sampling settings (greedy, fixed seed), same thread count, same
run; runs alternate so that machine noise hits both sides alike. Prints both rates and the
ratio (target: Shoal / direct >= 0.95).

    python bench/local_model.py [--runs 5] [--max-tokens 128]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from shoal.catalog import Catalog
from shoal.config import load_settings
from shoal.models.local import DEFAULT_SYSTEM, bundled_gguf_path, default_threads
from shoal.models.types import ChatRequest, Message
from shoal.wiring import catalog as build_catalog

PROMPT = "Explain in a few sentences why the sky is blue."


def direct(llm: object, max_tokens: int) -> tuple[int, float]:
    """Stream with llama-cpp-python itself; return (tokens, seconds)."""
    messages = [{"role": "system", "content": DEFAULT_SYSTEM}, {"role": "user", "content": PROMPT}]
    start = time.perf_counter()
    text = []
    for event in llm.create_chat_completion(messages=messages, max_tokens=max_tokens,  # type: ignore[attr-defined]
                                            temperature=0.0, seed=1, stream=True):
        delta = event["choices"][0].get("delta", {}).get("content")
        if delta:
            text.append(delta)
    elapsed = time.perf_counter() - start
    tokens = len(llm.tokenize("".join(text).encode(), add_bos=False, special=False))  # type: ignore[attr-defined]
    return tokens, elapsed


async def through_shoal(catalog: Catalog, max_tokens: int) -> tuple[int, float]:
    model = catalog.chat_model("local")
    request = ChatRequest(messages=(Message.system(DEFAULT_SYSTEM), Message.user(PROMPT)),
                          max_tokens=max_tokens, temperature=0.0, seed=1)
    start = time.perf_counter()
    tokens = 0
    async for chunk in model.stream(request):
        if chunk.usage is not None:
            tokens = chunk.usage.completion_tokens
    return tokens, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()

    import llama_cpp

    threads = default_threads()
    llm = llama_cpp.Llama(model_path=str(bundled_gguf_path()), n_ctx=4096, n_threads=threads,
                          n_gpu_layers=0, seed=0xC0FFEE, verbose=False)
    catalog = build_catalog(load_settings())
    catalog.chat_model("local").llama()  # load outside the timed region, as the direct side does

    # Warm-up both paths (first call pays for allocations).
    direct(llm, 16)
    asyncio.run(through_shoal(catalog, 16))

    rates_direct: list[float] = []
    rates_shoal: list[float] = []
    for _ in range(args.runs):
        n, s = direct(llm, args.max_tokens)
        rates_direct.append(n / s)
        n2, s2 = asyncio.run(through_shoal(catalog, args.max_tokens))
        rates_shoal.append(n2 / s2)

    d = statistics.median(rates_direct)
    sh = statistics.median(rates_shoal)
    print(f"model: {bundled_gguf_path().name}  threads: {threads}  max_tokens: {args.max_tokens}  runs: {args.runs}")
    print(f"{'path':<24}{'tokens/s (median)':>20}{'min':>10}{'max':>10}")
    print(f"{'llama-cpp-python direct':<24}{d:>20.1f}{min(rates_direct):>10.1f}{max(rates_direct):>10.1f}")
    print(f"{'shoal ChatModel.stream':<24}{sh:>20.1f}{min(rates_shoal):>10.1f}{max(rates_shoal):>10.1f}")
    print(f"ratio shoal/direct: {sh / d:.3f}  (target >= 0.95)")


if __name__ == "__main__":
    main()
