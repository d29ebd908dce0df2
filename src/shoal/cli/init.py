"""``shoal init``: write a commented starter shoal.yaml."""

from __future__ import annotations

from pathlib import Path

import click

STARTER = """\
# shoal.yaml — Shoal's configuration. Every key is optional; unknown keys are errors.
# Secrets are references, never values: api_key: env:NAME  or  api_key: file:/run/secrets/name

# The model `shoal ask` uses when --model is not given. `local` is the embedded
# SmolLM2-135M-Instruct (runs in-process, no key, no network).
default_model: local

# Where Shoal keeps its state (indexes, request log, eval runs), relative to this file.
data_dir: .shoal

models:
  # The embedded model. Point `path` at any GGUF file to run another open model in-process.
  local:
    provider: llama_cpp
    locality: self_hosted
    # options: {path: ~/models/qwen2.5-7b-instruct-q4_k_m.gguf, n_ctx: 4096, n_threads: 1}

  # OpenAI. Prices and context windows come from Shoal's built-in catalog; override them here.
  gpt-4o-mini:
    provider: openai
    api_key: env:OPENAI_API_KEY

  gpt-4o:
    provider: openai
    api_key: env:OPENAI_API_KEY

  # Anthropic Messages API.
  claude-haiku:
    provider: anthropic
    model: claude-haiku-4-5
    api_key: env:ANTHROPIC_API_KEY

  # Google Gemini API.
  gemini-flash:
    provider: gemini
    model: gemini-2.5-flash
    api_key: env:GEMINI_API_KEY

  # Any OpenAI-compatible server you run yourself (vLLM, Ollama, llama.cpp server, TGI...).
  # locality: self_hosted keeps confidential data eligible for it; hourly_cost is your
  # infrastructure cost when there are no token prices.
  # llama-70b:
  #   provider: openai
  #   base_url: http://gpu-box.internal:8000/v1
  #   model: meta-llama/Llama-3.3-70B-Instruct
  #   locality: self_hosted
  #   hourly_cost: 2.50
  #   context_window: 131072
  #   capabilities: [streaming, tools, json]

  # Hosted OpenAI-compatible services: OpenRouter, Together, Groq...
  # llama-groq:
  #   provider: openai
  #   base_url: https://api.groq.com/openai/v1
  #   model: llama-3.3-70b-versatile
  #   api_key: env:GROQ_API_KEY
  #   input_price: 0.59
  #   output_price: 0.79
"""


@click.command()
@click.option("-o", "--output", default="shoal.yaml", show_default=True, type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(output: str, force: bool) -> None:
    """Write a commented starter config."""
    path = Path(output)
    if path.exists() and not force:
        raise click.ClickException(f"{path} already exists (use --force to overwrite)")
    path.write_text(STARTER, encoding="utf-8")
    click.echo(f"wrote {path}; edit it, then try `shoal models`")
