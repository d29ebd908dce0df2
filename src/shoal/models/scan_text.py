"""Every piece of text in a request that a model will see, as one string for the privacy scan.

The privacy promise is only as good as its coverage: a value that reaches a model through a field
the scan does not read leaks. ``request_text`` is the one place that turns a ``ChatRequest`` into
the text scanned for it (the gateway's OpenAI and Anthropic endpoints, streaming or not, the CLI and
library path all go through ``Pipeline.prepare``, which calls it); ``inputs_text`` does the same for
embeddings inputs. What it reads:

* every message of every role: its text parts, its ``name``, its ``tool_call_id``;
* assistant tool calls: the function name and the arguments — parsed when they are JSON (so
  ``\\u0031``-style escapes are decoded) and rendered as ``key: value`` lines, keeping each value
  next to its key ("ssn: 123-45-6789") the way detectors expect labels; raw text otherwise;
* tool results (``tool`` messages, Anthropic ``tool_result`` blocks): their text;
* tool definitions: the whole tool object — name, description, and the JSON schema of the
  parameters (property names, descriptions, enums, defaults, examples), keys and values on lines
  of their own (schema keys are structure, not labels);
* ``tool_choice`` and ``stop`` sequences;
* images: the URL, percent-decoded. A ``data:`` URL is scanned as text when it is not base64 or
  when its base64 payload is not an image (its first bytes are not a PNG, JPEG, GIF, WebP, BMP,
  TIFF or ISO-media signature); the payload of a real image is skipped — pixels are not text, and
  decoding megabytes of base64 would only slow every request carrying a photo. (No OCR: text
  inside an image's pixels is not seen by the scan.)

Each piece goes on its own line, so patterns never join the end of one field to the start of the
next. Time is linear in the size of the request.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import unquote

import orjson

from shoal.models.types import ChatRequest, ImagePart, Message, TextPart

# First bytes of the image formats vision models take; such a payload is pixels, not text.
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")


def _is_image(head: bytes) -> bool:
    if head.startswith(_IMAGE_MAGIC):
        return True
    # RIFF....WEBP, and ISO base media (HEIC, AVIF): "....ftyp"
    return (head[:4] == b"RIFF" and head[8:12] == b"WEBP") or head[4:8] == b"ftyp"


def image_text(url: str) -> str:
    """The text of an image reference the scan reads (see the module docstring)."""
    if not url.startswith("data:"):
        return unquote(url)
    header, sep, payload = url.partition(",")
    if not sep:
        return unquote(url)
    if not header.endswith(";base64"):
        return header + "," + unquote(payload)
    try:
        head = base64.b64decode(payload[:24] + "=" * (-len(payload[:24]) % 4))
    except (binascii.Error, ValueError):
        return url  # not valid base64: scan it as written
    if _is_image(head):
        return header + ","
    try:
        data = base64.b64decode(payload)
    except (binascii.Error, ValueError):
        return url
    return header + "," + data.decode("utf-8", "replace")


# Keys of tool definitions and JSON Schema: structure, carrying no data of their own (and a "name"
# line before a function's name reads as a person's name to the detectors).
_SCHEMA_WORDS = frozenset({
    "type", "function", "name", "description", "parameters", "input_schema", "properties", "required",
    "items", "enum", "const", "default", "examples", "example", "title", "format", "strict",
    "additionalProperties", "anyOf", "oneOf", "allOf", "not", "$ref", "$defs", "definitions", "$schema",
    "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "pattern", "nullable",
})


def json_lines(value: Any, out: list[str], *, labelled: bool = True) -> None:
    """Append the strings of a JSON value to ``out``.

    ``labelled``: a scalar under a key becomes one ``key: value`` line (data, where the key is the
    label detectors need: "ssn: 123-45-6789"); otherwise keys and values are separate lines (a
    schema: its keywords — "name", "type", "description" — are left out as structure, not labels of
    the values; other keys, such as property names, are kept).
    Iterative (a deeply nested value cannot exhaust the stack); visits each node once.
    """
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            # Reversed onto the stack so the lines come out in the object's order.
            for key, sub in reversed(list(item.items())):
                if isinstance(sub, (dict, list)) or not labelled:
                    stack.append(sub)
                    if labelled or key not in _SCHEMA_WORDS:
                        stack.append(_Key(str(key)))
                else:
                    stack.append(_Key(f"{key}: {_scalar(sub)}"))
        elif isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, _Key):
            out.append(item.text)
        else:
            out.append(_scalar(item))


class _Key:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def arguments_text(arguments: str, out: list[str]) -> None:
    """Tool-call arguments: the decoded JSON as ``key: value`` lines, or the raw text if not JSON."""
    if not arguments:
        return
    try:
        parsed = orjson.loads(arguments)
    except orjson.JSONDecodeError:
        out.append(arguments)
        return
    json_lines(parsed, out)


def message_lines(message: Message, out: list[str]) -> None:
    """Append the scanned text of one message to ``out``."""
    # Names and ids stand alone: a "name:" label would make any word look like a person's name.
    if message.name:
        out.append(message.name)
    if message.tool_call_id:
        out.append(message.tool_call_id)
    if isinstance(message.content, str):
        if message.content:
            out.append(message.content)
    else:
        for part in message.content:
            if isinstance(part, TextPart):
                out.append(part.text)
            elif isinstance(part, ImagePart):
                out.append(image_text(part.url))
            else:  # a part type added later: its text, if it has any, is never skipped silently
                text = getattr(part, "text", None)
                out.append(text if isinstance(text, str) else repr(part))
    for call in message.tool_calls:
        out.append(call.name)
        out.append(call.id)
        arguments_text(call.arguments, out)


def request_lines(request: ChatRequest) -> list[str]:
    """The scanned text of ``request``, one piece per line (see the module docstring)."""
    out: list[str] = []
    for message in request.messages:
        message_lines(message, out)
    for tool in request.tools:
        json_lines(tool, out, labelled=False)
    if request.tool_choice is not None:
        json_lines(request.tool_choice, out, labelled=False)
    if request.json_schema is not None:  # names, descriptions, enums and examples reach the model too
        json_lines(request.json_schema, out, labelled=False)
    out.extend(request.stop)
    return out


def request_text(request: ChatRequest) -> str:
    """Everything in ``request`` a model will read, as one string for the privacy scan."""
    return "\n".join(request_lines(request))


def inputs_text(inputs: Sequence[str] | Iterable[str]) -> str:
    """The scanned text of embeddings inputs: each input on its own line."""
    return "\n".join(inputs)


__all__ = ["arguments_text", "image_text", "inputs_text", "json_lines", "message_lines", "request_lines",
           "request_text"]
