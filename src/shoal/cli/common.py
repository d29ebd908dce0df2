"""Helpers shared by CLI commands: loading settings and the catalog from the click context."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from shoal.catalog import Catalog
    from shoal.config import Settings
    from shoal.evals.project import EvalProject


def settings_from(ctx: click.Context) -> Settings:
    from shoal.config import load_settings

    root = ctx.find_root()
    obj: dict[str, Any] = root.obj if isinstance(root.obj, dict) else {}
    if "settings" not in obj:
        obj["settings"] = load_settings(obj.get("config_path"))
        root.obj = obj
    settings: Settings = obj["settings"]
    return settings


def catalog_from(ctx: click.Context) -> Catalog:
    from shoal.wiring import catalog as build_catalog

    root = ctx.find_root()
    obj: dict[str, Any] = root.obj
    if "catalog" not in obj:
        obj["catalog"] = build_catalog(settings_from(ctx))
    catalog: Catalog = obj["catalog"]
    return catalog


def eval_project_from(ctx: click.Context) -> EvalProject:
    """The sections and folders eval commands read (runs folder, cache, targets' sections)."""
    from shoal.wiring import eval_project

    return eval_project(settings_from(ctx))
