"""``shoal ask`` and ``shoal chat``: streamed answers from any configured model."""

from __future__ import annotations

import asyncio
import sys
import time

import click

from shoal.cli.common import catalog_from
from shoal.models.base import ChatModel
from shoal.models.types import ChatRequest, Message, Usage


def _stats_line(model: ChatModel, served: str, usage: Usage, latency: float) -> str:
    cost = model.cost(usage)
    return (f"[{model.name} · {served} · {model.locality} · tokens in {usage.prompt_tokens} / out "
            f"{usage.completion_tokens} · ${cost:.6f} · {latency:.2f} s]")


async def stream_answer(model: ChatModel, request: ChatRequest
                        ) -> tuple[str, Usage, str, float]:
    """Stream to stdout as tokens arrive; return (text, usage, served model id, latency)."""
    start = time.perf_counter()
    parts: list[str] = []
    usage = Usage()
    served = model.spec.model_id
    async for chunk in model.stream(request):
        if chunk.delta:
            parts.append(chunk.delta)
            sys.stdout.write(chunk.delta)
            sys.stdout.flush()
        if chunk.usage is not None:
            usage = chunk.usage
        if chunk.model:
            served = chunk.model
    sys.stdout.write("\n")
    sys.stdout.flush()
    return "".join(parts), usage, served, time.perf_counter() - start


@click.command()
@click.argument("question", nargs=-1, required=True)
@click.option("-m", "--model", "model_name", help="A configured model name (default: default_model).")
@click.option("-s", "--system", help="System prompt.")
@click.option("--max-tokens", type=int, help="Cap on answer length in tokens.")
@click.option("-t", "--temperature", type=float)
@click.option("-v", "--verbose", is_flag=True, help="Print model, tokens, cost and latency on stdout too.")
@click.option("-q", "--quiet", is_flag=True, help="Do not print the stats line on stderr.")
@click.pass_context
def ask(ctx: click.Context, question: tuple[str, ...], model_name: str | None, system: str | None,
        max_tokens: int | None, temperature: float | None, verbose: bool, quiet: bool) -> None:
    """Ask QUESTION and stream the answer (the embedded model needs no config or key)."""
    catalog = catalog_from(ctx)
    model = catalog.chat_model(model_name)
    request = ChatRequest.of(" ".join(question), system=system, max_tokens=max_tokens, temperature=temperature)

    async def run() -> tuple[str, Usage, str, float]:
        try:
            return await stream_answer(model, request)
        finally:
            await catalog.aclose()

    _, usage, served, latency = asyncio.run(run())
    line = _stats_line(model, served, usage, latency)
    if verbose:
        click.echo(line)
    elif not quiet:
        click.echo(click.style(line, dim=True), err=True)


@click.command()
@click.option("-m", "--model", "model_name", help="A configured model name (default: default_model).")
@click.option("-s", "--system", help="System prompt.")
@click.option("--max-tokens", type=int)
@click.pass_context
def chat(ctx: click.Context, model_name: str | None, system: str | None, max_tokens: int | None) -> None:
    """Interactive chat; history is kept for the session. /exit or Ctrl-D quits; Ctrl-C stops an answer."""
    from shoal.errors import ProviderError

    catalog = catalog_from(ctx)
    model = catalog.chat_model(model_name)
    history: list[Message] = [Message.system(system)] if system else []
    click.echo(f"Chatting with {model.name} ({model.spec.model_id}, {model.locality}). "
               "/exit to quit, /reset to forget the conversation.", err=True)
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                line = input("you> ")
            except (EOFError, KeyboardInterrupt):
                click.echo("", err=True)
                break
            text = line.strip()
            if not text:
                continue
            if text in {"/exit", "/quit", "/q"}:
                break
            if text == "/reset":
                history = history[:1] if system else []
                click.echo("(conversation cleared)", err=True)
                continue
            history.append(Message.user(text))
            request = ChatRequest(messages=tuple(history), max_tokens=max_tokens)
            sys.stdout.write(f"{model.name}> ")
            try:
                answer, usage, served, latency = loop.run_until_complete(stream_answer(model, request))
            except KeyboardInterrupt:
                # Stop this answer, keep the chat: the unanswered question leaves the history.
                history.pop()
                click.echo("\n(interrupted)", err=True)
                continue
            except ProviderError as exc:
                history.pop()
                click.echo(f"error: {exc}", err=True)
                continue
            history.append(Message.assistant(answer))
            click.echo(click.style(_stats_line(model, served, usage, latency), dim=True), err=True)
    finally:
        loop.run_until_complete(catalog.aclose())
        loop.close()
