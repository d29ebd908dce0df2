"""Loaders read real files of each format; bad files raise UnreadableDocument with a reason."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from shoal.rag.chunking import chunk_document
from shoal.rag.loaders import UnreadableDocument, load
from shoal.rag.types import Block, LoadedDocument

from .files import write_docx, write_pdf


def test_markdown_front_matter_title_and_heading_sections(tmp_path: Path) -> None:
    p = tmp_path / "leave.md"
    p.write_text("---\ntitle: Leave policy\nredirect_from: [/old]\n---\n# Leave policy\nIntro text.\n\n"
                 "## Annual leave\nTwenty days. See [the form](https://x/y).\n\n### Carry over\nUp to five days.\n\n"
                 "```\n# not a heading\n```\n{% include note.html %}\n## Sick leave\nAs needed.\n")
    doc = load(p)
    assert doc.title == "Leave policy"
    sections = [(b.section, b.text) for b in doc.blocks]
    assert sections[0] == ("", "Intro text.")
    assert sections[1] == ("Annual leave", "Twenty days. See the form.")
    assert sections[2][0] == "Annual leave > Carry over"
    assert "# not a heading" in sections[2][1] and "include" not in sections[2][1]
    assert sections[3] == ("Sick leave", "As needed.")


def test_html_main_text_without_navigation(tmp_path: Path) -> None:
    p = tmp_path / "page.html"
    p.write_text("<html><head><title>Badges</title><script>var x=1</script></head><body>"
                 "<nav><a href='/'>Home</a><a>Menu item</a></nav><div class='sidebar'>Related links</div>"
                 "<main><h1>Badges</h1><p>Wear your badge at all times.</p><h2>Lost badges</h2>"
                 "<ul><li>Report it to security.</li></ul></main><footer>Copyright 2025</footer></body></html>")
    doc = load(p)
    text = " ".join(b.text for b in doc.blocks)
    assert doc.title == "Badges"
    assert "Wear your badge" in text and "Report it to security." in text
    for chrome in ("Home", "Menu item", "Related links", "Copyright", "var x"):
        assert chrome not in text
    assert [b.section for b in doc.blocks] == ["", "Lost badges"]


def test_docx_headings_and_tables(tmp_path: Path) -> None:
    doc = load(write_docx(tmp_path / "travel.docx"))
    assert doc.title == "Travel policy"
    by_section = {b.section: b.text for b in doc.blocks}
    assert "two weeks ahead" in by_section["Booking"]
    assert "180 dollars" in by_section["Booking > Hotels"]
    assert "Boston | 79" in by_section["Table"]


def test_pdf_keeps_page_numbers(tmp_path: Path) -> None:
    doc = load(write_pdf(tmp_path / "report.pdf", ["Revenue grew nine percent.", "Margins were stable."]))
    assert [(b.page, b.text.strip()) for b in doc.blocks] == [(1, "Revenue grew nine percent."),
                                                             (2, "Margins were stable.")]
    chunks = chunk_document(doc, 200, 20)
    assert [c.page for c in chunks] == [1, 2]


@pytest.mark.parametrize("name,content,reason", [
    ("empty.md", b"", "no text"),
    ("blank.txt", b"   \n\n  ", "no text"),
    ("binary.txt", b"abc\x00\x01\x02", "binary"),
    ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "cannot parse PDF"),
    ("broken.docx", b"PK not a zip", "cannot open DOCX"),
    ("image.png", b"\x89PNG", "unsupported file type"),
])
def test_unreadable_files_raise_with_reason(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(UnreadableDocument, match=reason):
        load(p)


def test_pdf_with_arrays_beyond_pypdf_default_cap(tmp_path: Path) -> None:
    doc = load(write_pdf(tmp_path / "filing.pdf", ["Net revenue was 52 billion."], big_array=150_000))
    assert doc.blocks[0].text.strip() == "Net revenue was 52 billion."


def test_encrypted_pdf_is_reported(tmp_path: Path) -> None:
    p = write_pdf(tmp_path / "secret.pdf", ["Top secret numbers."], password="hunter2")
    with pytest.raises(UnreadableDocument, match="encrypted"):
        load(p)


def test_chunking_respects_size_sections_and_overlap() -> None:
    para = "Sentence number {i} talks about leave. "
    long_text = "\n\n".join("".join(para.format(i=i * 10 + j) for j in range(5)) for i in range(8))
    doc = LoadedDocument("T", (Block(long_text, "A"), Block("Short section.", "B")))
    chunks = chunk_document(doc, 400, 60)
    assert all(len(c.text) <= 400 + 60 for c in chunks)
    assert [c.section for c in chunks][-1] == "B" and chunks[-1].text == "Short section."
    a_chunks = [c.text for c in chunks if c.section == "A"]
    assert len(a_chunks) > 2
    # overlap: each chunk after the first starts with text from the end of the previous one
    for prev, cur in itertools.pairwise(a_chunks):
        assert cur.split(" ", 3)[2] in prev[-80:]
    # nothing lost: every sentence appears in some chunk
    for n in (i * 10 + j for i in range(8) for j in range(5)):
        assert any(f"number {n} " in c for c in a_chunks)
