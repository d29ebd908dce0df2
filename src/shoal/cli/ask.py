"""``shoal ask`` and ``shoal chat``: streamed answers from any configured model."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from shoal.cli.common import catalog_from, settings_from
from shoal.models.base import ChatModel
from shoal.models.types import ChatRequest, Message, Usage
from shoal.principal import Principal

if TYPE_CHECKING:
    from shoal.pipeline import Prepared


def _stats_line(model: ChatModel, served: str, usage: Usage, latency: float) -> str:
    cost = model.cost(usage)
    return (f"[{model.name} · {served} · {model.locality} · tokens in {usage.prompt_tokens} / out "
            f"{usage.completion_tokens} · ${cost:.6f} · {latency:.2f} s]")


def _explain(prepared: Prepared, err: bool = True) -> None:
    d = prepared.decision
    chain = " → ".join(d.candidates)
    click.echo(f"route: {d.route} · {chain} · sensitivity {prepared.sensitivity.level}", err=err)
    for reason in d.reasons:
        click.echo(f"  - {reason}", err=err)


def _citation_lines(prepared: Prepared) -> list[str]:
    lines = []
    for c in prepared.citations:
        where = c.path + (f" § {c.section}" if c.section else "") + (f", p. {c.page}" if c.page else "")
        lines.append(f"[{c.number}] {where} ({c.label})")
    return lines


@click.command()
@click.argument("question", nargs=-1, required=True)
@click.option("-m", "--model", "model_name",
              help="A configured model name, or `auto` to let the router choose (default: routing's default).")
@click.option("--as-user", "user", help="Answer as this user (document access control).")
@click.option("--groups", help="Comma-separated groups of the caller (document access control).")
@click.option("--team", help="The caller's team (routing rules).")
@click.option("--collection", help="Document collection to answer from (default: rag's default).")
@click.option("--no-docs", is_flag=True, help="Do not retrieve from documents even when an index exists.")
@click.option("--explain", is_flag=True, help="Print the routing decision and its reasons.")
@click.option("-s", "--system", help="System prompt.")
@click.option("--max-tokens", type=int, help="Cap on answer length in tokens.")
@click.option("-t", "--temperature", type=float)
@click.option("-v", "--verbose", is_flag=True, help="Print model, tokens, cost and latency on stdout too.")
@click.option("-q", "--quiet", is_flag=True, help="Do not print the stats line on stderr.")
@click.pass_context
def ask(ctx: click.Context, question: tuple[str, ...], model_name: str | None, user: str | None,
        groups: str | None, team: str | None, collection: str | None, no_docs: bool, explain: bool,
        system: str | None, max_tokens: int | None, temperature: float | None, verbose: bool, quiet: bool) -> None:
    """Ask QUESTION and stream the answer.

    The request takes Shoal's request path: documents you may read are retrieved (when an index
    exists), the prompt and those documents are scanned for sensitive data, the policy routes it
    (sensitive → self-hosted models only), and the answer streams with numbered citations.
    The embedded model needs no config or key.
    """
    from shoal.client import SyncClient
    from shoal.errors import ConfigError, PolicyRefusedError
    from shoal.rag.retriever import has_index

    settings = settings_from(ctx)
    catalog = catalog_from(ctx)
    principal = Principal.of(user, groups, team=team)
    indexed = has_index(settings.config.rag, settings.paths, collection)
    if collection and not indexed:
        raise ConfigError(f"collection {collection!r} has no documents",
                          hint=f"run `shoal ingest PATH --collection {collection}` first")
    with SyncClient(settings, catalog=catalog) as client:
        stream = client.stream(" ".join(question), model=model_name, system=system, principal=principal,
                               collection=collection, retrieve=indexed and not no_docs, max_tokens=max_tokens,
                               temperature=temperature)
        try:
            prepared = stream.start()
        except PolicyRefusedError as exc:
            if explain:
                click.echo("route: refused", err=True)
                for reason in exc.reasons:
                    click.echo(f"  - {reason}", err=True)
            raise
        if explain:
            _explain(prepared)
        for chunk in stream:
            if chunk.delta:
                sys.stdout.write(chunk.delta)
                sys.stdout.flush()
        sys.stdout.write("\n")
        sys.stdout.flush()
        result = stream.result
        if prepared.citations:
            click.echo("\n".join(["", "Sources:", *_citation_lines(prepared)]))
        elif indexed and not no_docs:
            click.echo(click.style("(no document you can read matched this question)", dim=True), err=True)
        model = catalog.chat_model(result.model)
        line = _stats_line(model, result.model_id or model.spec.model_id, result.usage, result.latency_s)
        if result.request_id:
            line = line[:-1] + f" · request {result.request_id}]"
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
    from shoal.client import SyncClient
    from shoal.errors import ProviderError

    catalog = catalog_from(ctx)
    model = catalog.chat_model(model_name)
    history: list[Message] = [Message.system(system)] if system else []
    click.echo(f"Chatting with {model.name} ({model.spec.model_id}, {model.locality}). "
               "/exit to quit, /reset to forget the conversation.", err=True)
    with SyncClient(settings_from(ctx), catalog=catalog) as client:
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
            stream = client.stream(request, model=model.name)
            try:
                for chunk in stream:
                    if chunk.delta:
                        sys.stdout.write(chunk.delta)
                        sys.stdout.flush()
                sys.stdout.write("\n")
            except KeyboardInterrupt:
                # The stream is closed (model call cancelled) before we get here, so nothing of this
                # answer reaches the next one; the unanswered question leaves the history.
                history.pop()
                click.echo("\n(interrupted)", err=True)
                continue
            except ProviderError as exc:
                history.pop()
                click.echo(f"\nerror: {exc}", err=True)
                continue
            result = stream.result
            history.append(Message.assistant(result.text))
            served = catalog.chat_model(result.model)
            click.echo(click.style(_stats_line(served, result.model_id or served.spec.model_id, result.usage,
                                               result.latency_s), dim=True), err=True)
