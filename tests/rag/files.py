"""Builders for real test documents (PDF, DOCX) written with the formats' own libraries or by spec."""

from __future__ import annotations

from pathlib import Path


def pdf_bytes(pages: list[str], big_array: int = 0) -> bytes:
    """A minimal valid PDF with one Helvetica text line per page (enough for pypdf's text layer)."""
    objects: list[bytes] = []
    n = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    font_id = 3 + 2 * n
    for i, text in enumerate(pages):
        safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({safe}) Tj ET".encode()
        extra = f"/PieceInfo [{' 0' * big_array}] " if big_array else ""  # large arrays occur in real filings
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
                       f"{extra}/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode())
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def write_pdf(path: Path, pages: list[str], password: str | None = None, big_array: int = 0) -> Path:
    path.write_bytes(pdf_bytes(pages, big_array))
    if password:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(str(path)))
        writer.encrypt(user_password=password, owner_password=password)
        with path.open("wb") as fh:
            writer.write(fh)
    return path


def write_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.core_properties.title = "Travel policy"
    d.add_heading("Booking", level=1)
    d.add_paragraph("Book flights through the travel desk at least two weeks ahead.")
    d.add_heading("Hotels", level=2)
    d.add_paragraph("Hotel stays are capped at 180 dollars per night.")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "City"
    table.cell(0, 1).text = "Per diem"
    table.cell(1, 0).text = "Boston"
    table.cell(1, 1).text = "79"
    d.save(str(path))
    return path
