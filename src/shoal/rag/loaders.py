"""File loaders: one function per format, picked by extension from ``LOADERS``.

Each returns a ``LoadedDocument`` (title + blocks that carry their section heading and page) or
raises ``UnreadableDocument`` with a reason the ingest summary shows (encrypted, empty, corrupt…).
Heavy parsers (pypdf, python-docx, BeautifulSoup) are imported inside the loader that needs them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shoal.errors import DependencyMissingError, ShoalError
from shoal.rag.types import Block, LoadedDocument

Loader = Callable[[Path], LoadedDocument]


class UnreadableDocument(ShoalError):
    """A file that cannot be ingested; the reason is shown in the summary and the batch goes on."""


def _need(module: str, package: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise DependencyMissingError(f"{package} is needed to read this file type",
                                     hint=f"pip install 'shoal[rag]' (or pip install {package})") from None


def _decode(data: bytes, path: Path) -> str:
    if b"\x00" in data[:4096]:
        raise UnreadableDocument("binary content (NUL bytes) in a text file")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableDocument("not valid UTF-8 or Windows-1252 text")


def _require_text(doc: LoadedDocument, reason: str = "no text found (empty, or only front matter/markup)"
                  ) -> LoadedDocument:
    if doc.char_count == 0:
        raise UnreadableDocument(reason)
    return doc


# --- plain text ----------------------------------------------------------------------------------


def load_text(path: Path) -> LoadedDocument:
    text = _decode(path.read_bytes(), path)
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    title = first[:120] if len(first) <= 120 else path.stem
    return _require_text(LoadedDocument(title or path.stem, (Block(text),)))


# --- markdown ------------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_TEMPLATE = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    import yaml

    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        data = None  # malformed front matter: treat the body as the document, keep going
    return (data if isinstance(data, dict) else {}), text[match.end():]


def _clean_markdown(line: str) -> str:
    line = _IMAGE.sub(r"\1", line)
    line = _LINK.sub(r"\1", line)
    return _HTML_TAG.sub("", line)


def load_markdown(path: Path) -> LoadedDocument:
    meta, body = _front_matter(_decode(path.read_bytes(), path))
    body = _TEMPLATE.sub("", body)
    title = str(meta.get("title") or "").strip()
    stack: list[tuple[int, str]] = []
    blocks: list[Block] = []
    lines: list[str] = []
    in_code = False

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            blocks.append(Block(text, " > ".join(h for _, h in stack)))
        lines.clear()

    for raw in body.splitlines():
        if raw.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
            lines.append(raw)
            continue
        heading = None if in_code else _HEADING.match(raw)
        if heading:
            flush()
            level, text = len(heading.group(1)), _clean_markdown(heading.group(2)).strip()
            if not title and level == 1:
                title = text
            while stack and stack[-1][0] >= level:
                stack.pop()
            if not (level == 1 and text == title and not stack):
                stack.append((level, text))
            continue
        lines.append(raw if in_code else _clean_markdown(raw))
    flush()
    return _require_text(LoadedDocument(title or path.stem.replace("-", " ").replace("_", " "), tuple(blocks)))


# --- PDF -----------------------------------------------------------------------------------------


# pypdf caps arrays at 100,000 elements against malicious files; real 10-Q filings (Microsoft's)
# exceed it. Raised, not removed: a bound still protects against resource-exhaustion PDFs.
PDF_MAX_ARRAY_ELEMENTS = 10_000_000


def load_pdf(path: Path) -> LoadedDocument:
    pypdf = _need("pypdf", "pypdf")
    apply = getattr(pypdf, "apply_configuration", None)  # pypdf >= 7; older versions have no cap
    limits = apply(array_maximum_element_count=PDF_MAX_ARRAY_ELEMENTS) if apply else contextlib.nullcontext()
    with limits:
        return _load_pdf(pypdf, path)


def _load_pdf(pypdf: Any, path: Path) -> LoadedDocument:
    try:
        reader = pypdf.PdfReader(str(path))
        if reader.is_encrypted:
            # Many PDFs are "encrypted" with an empty user password (print restrictions only).
            try:
                ok = reader.decrypt("")
            except Exception:  # noqa: BLE001 — pypdf raises several types for unsupported crypto
                ok = 0
            if not ok:
                raise UnreadableDocument("encrypted PDF (password required)")
        blocks = []
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            if text.strip():
                blocks.append(Block(text, "", number))
        meta_title = ""
        try:
            meta_title = str((reader.metadata or {}).get("/Title") or "").strip()
        except Exception:  # noqa: BLE001 — broken metadata must not lose the text
            meta_title = ""
    except UnreadableDocument:
        raise
    except Exception as exc:  # noqa: BLE001 — pypdf's error types vary by version; all mean "corrupt"
        raise UnreadableDocument(f"cannot parse PDF: {type(exc).__name__}: {exc}") from None
    return _require_text(LoadedDocument(meta_title or path.stem, tuple(blocks)),
                         "no text layer (a scanned or image-only PDF; run OCR first)")


# --- DOCX ----------------------------------------------------------------------------------------


def load_docx(path: Path) -> LoadedDocument:
    docx = _need("docx", "python-docx")
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # noqa: BLE001 — zipfile/lxml/docx errors all mean "not a readable docx"
        raise UnreadableDocument(f"cannot open DOCX: {type(exc).__name__}: {exc}") from None
    title = str(document.core_properties.title or "").strip()
    stack: list[tuple[int, str]] = []
    blocks: list[Block] = []
    lines: list[str] = []

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            blocks.append(Block(text, " > ".join(h for _, h in stack)))
        lines.clear()

    for para in document.paragraphs:
        style = (para.style.name if para.style is not None else "") or ""
        text = para.text.strip()
        if not text:
            continue
        level = 0
        if style == "Title":
            title = title or text
            continue
        if style.startswith("Heading"):
            digits = style[len("Heading"):].strip()
            level = int(digits) if digits.isdigit() else 1
        if level:
            flush()
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text))
            if not title and level == 1:
                title = text
            continue
        lines.append(text)
    flush()
    for table in document.tables:
        rows = [" | ".join(cell.text.strip() for cell in row.cells) for row in table.rows]
        text = "\n".join(r for r in rows if r.strip(" |"))
        if text:
            blocks.append(Block(text, "Table"))
    return _require_text(LoadedDocument(title or path.stem, tuple(blocks)))


# --- HTML ----------------------------------------------------------------------------------------

_CHROME_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "svg", "iframe",
                "button", "template")
_CHROME_HINT = re.compile(r"(^|[-_ ])(nav|navbar|menu|sidebar|footer|header|breadcrumbs?|cookie|banner|"
                          r"skip|social|share|toc)([-_ ]|$)", re.IGNORECASE)
_BLOCK_TAGS = ("p", "li", "pre", "blockquote", "td", "th", "dd", "dt", "figcaption")


def load_html(path: Path) -> LoadedDocument:
    bs4 = _need("bs4", "beautifulsoup4")
    html = _decode(path.read_bytes(), path)
    soup = bs4.BeautifulSoup(html, "html.parser")
    title = (soup.title.get_text(" ", strip=True) if soup.title else "").strip()
    for tag in soup(list(_CHROME_TAGS)):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": re.compile("navigation|banner|contentinfo|search")}):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed or tag.attrs is None:
            continue
        marks = " ".join([str(tag.get("id") or ""), *[str(c) for c in (tag.get("class") or [])]])
        if marks.strip() and _CHROME_HINT.search(marks):
            tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    stack: list[tuple[int, str]] = []
    blocks: list[Block] = []
    lines: list[str] = []

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            blocks.append(Block(text, " > ".join(h for _, h in stack)))
        lines.clear()

    for el in root.find_all(["h1", "h2", "h3", "h4", "h5", "h6", *_BLOCK_TAGS]):
        if el.name in _BLOCK_TAGS and el.find_parent(list(_BLOCK_TAGS)) is not None:
            continue  # nested block (li inside li, p inside td): its text is in the parent already
        text = el.get_text(" ", strip=True)
        if not text:
            continue
        if el.name[0] == "h" and el.name[1:].isdigit():
            level = int(el.name[1:])
            flush()
            while stack and stack[-1][0] >= level:
                stack.pop()
            if level == 1 and not title:
                title = text
            if not (level == 1 and text == title):
                stack.append((level, text))
            continue
        lines.append(text)
    flush()
    if not blocks:  # pages without block markup: fall back to all visible text
        text = root.get_text("\n", strip=True)
        blocks = [Block(text)] if text else []
    return _require_text(LoadedDocument(title or path.stem, tuple(blocks)))


LOADERS: dict[str, Loader] = {
    ".txt": load_text, ".text": load_text, ".rst": load_text,
    ".md": load_markdown, ".markdown": load_markdown,
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".html": load_html, ".htm": load_html,
}


def load(path: Path) -> LoadedDocument:
    """Load one file by extension. Raises ``UnreadableDocument`` (skip it) with a reason."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise UnreadableDocument(f"unsupported file type {path.suffix or '(none)'}",
                                 hint=f"supported: {', '.join(sorted(LOADERS))}")
    try:
        return loader(path)
    except OSError as exc:
        raise UnreadableDocument(f"cannot read file: {exc.strerror or exc}") from None
