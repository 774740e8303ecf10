"""The ARFF header (``@relation``, ``@attribute``, ``@data``) and MULAN/MEKA label discovery.

Which attributes are labels: ``labels=`` (names, or a count with MEKA's sign convention), else
the MEKA ``-C N`` option in the ``@relation`` name (N > 0: the first N attributes; N < 0: the
last |N|), else the MULAN XML label file (named with ``xml=``, or ``NAME.xml`` found beside
``NAME-train.arff`` / ``NAME-test-sparse.arff`` / ``NAME.arff``, or the only ``.xml`` there).
"""

from __future__ import annotations

import gc
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tagwise.data._stream import open_binary
from tagwise.exceptions import DataFormatError, located

__all__ = ["ArffHeader", "Attribute", "find_labels", "parse_header"]

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "%": "%"}
_MEKA_C = re.compile(r"-C\s+(-?\d+)")
_NUMERIC = ("numeric", "real", "integer")
_SPLIT_SUFFIXES = ("-train", "-test", "_train", "_test", "-sparse", "_sparse", "-dense")


@dataclass(slots=True)
class Attribute:
    """One ``@attribute``: its name, kind (numeric/nominal/string) and nominal values."""

    name: str
    kind: str
    values: list[str] = field(default_factory=list)
    line: int = 0


@dataclass
class ArffHeader:
    relation: str
    attributes: list[Attribute]
    data_offset: int  # byte offset of the line after @data
    data_line: int  # line number of that line

    def index(self) -> dict[str, int]:
        return {a.name: i for i, a in enumerate(self.attributes)}


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), text)


def read_token(text: str, path: object, line: int) -> tuple[str, str]:
    """The first (possibly quoted) token of ``text`` and the rest of the line."""
    text = text.lstrip()
    if not text:
        raise DataFormatError(located(path, line, "expected a name, found the end of the line."))
    if text[0] in "'\"":
        quote, i, out = text[0], 1, []
        while i < len(text):
            ch = text[i]
            if ch == "\\" and i + 1 < len(text):
                out.append(_ESCAPES.get(text[i + 1], "\\" + text[i + 1]))
                i += 2
                continue
            if ch == quote:
                return "".join(out), text[i + 1 :]
            out.append(ch)
            i += 1
        raise DataFormatError(located(path, line, f"unterminated quote in {text[:60]!r}."))
    m = re.match(r"[^\s{},]+", text)
    if not m:
        raise DataFormatError(located(path, line, f"expected a name, found {text[:60]!r}."))
    return _unescape(m.group(0)), text[m.end() :]


def split_values(text: str, path: object, line: int) -> list[str]:
    """Comma-separated, possibly quoted values (a nominal list or a quoted data row)."""
    values: list[str] = []
    rest = text.strip()
    while rest:
        value, rest = read_token(rest, path, line)
        values.append(value.strip())
        rest = rest.lstrip()
        if rest.startswith(","):
            rest = rest[1:]
            if not rest.strip():
                raise DataFormatError(located(path, line, "a trailing ',' with no value after it."))
        elif rest:
            raise DataFormatError(located(path, line, f"expected ',' before {rest[:40]!r}."))
    return values


_SIMPLE = re.compile(
    r"\s*([^\s'\"{},%\\]+)\s+(?:(numeric|real|integer|string)|\{([^'\"{}\\%]*)\})\s*$",
    re.IGNORECASE,
)


def _attribute(rest: str, path: Path, line: int) -> Attribute:
    m = _SIMPLE.match(rest)  # the common unquoted case, without the general tokenizer
    if m:
        name, typ, nominal = m.groups()
        if typ:
            return Attribute(name, "string" if typ.lower() == "string" else "numeric", line=line)
        values = [v.strip() for v in nominal.split(",")]
        if all(values) and len(set(values)) == len(values):
            return Attribute(name, "nominal", values, line)
    name, rest = read_token(rest, path, line)
    spec = rest.strip()
    low = spec.lower()
    if low.split(None, 1)[0:1] and low.split(None, 1)[0] in _NUMERIC:
        return Attribute(name, "numeric", line=line)
    if low.startswith("string"):
        return Attribute(name, "string", line=line)
    if low.startswith("date"):
        return Attribute(name, "string", line=line)  # kept as text, never a feature
    if spec.startswith("{"):
        if not spec.endswith("}"):
            raise DataFormatError(located(path, line, f"nominal values of {name!r} lack a '}}'."))
        values = split_values(spec[1:-1], path, line)
        if not values or len(set(values)) != len(values):
            raise DataFormatError(
                located(
                    path, line, f"nominal attribute {name!r} needs distinct values, got {values}."
                )
            )
        return Attribute(name, "nominal", values, line)
    raise DataFormatError(
        located(
            path,
            line,
            f"attribute {name!r} has type {spec[:40]!r}; expected numeric, "
            "real, integer, string, date or a {nominal, list} (relational is not supported).",
        )
    )


_DATA_LINE = re.compile(rb"^[^\S\n]*@data(?:[^\S\n][^\n]*)?(?:\n|\Z)", re.IGNORECASE | re.MULTILINE)
_FAST_ATTR = re.compile(
    r"[ \t]*@attribute[ \t]+([^\s'\"{},%\\]+)[ \t]+"
    r"(?:(numeric|real|integer|string)|\{([^'\"{}\\%]*)\})\s*$",
    re.IGNORECASE,
)
_HEADER_BLOCK = 1 << 16
_HEADER_LIMIT = 1 << 26  # past 64 MB without an @data line, the line-by-line parser reports


def _header_bytes(path: Path) -> bytes | None:
    """The bytes up to the end of the first line that reads ``@data``, or None if not found."""
    buf = b""
    with open_binary(path) as f:
        while len(buf) < _HEADER_LIMIT:
            block = f.read(_HEADER_BLOCK if len(buf) < _HEADER_BLOCK else len(buf))
            if not block:
                return None
            start = max(0, buf.rfind(b"\n") + 1)
            buf += block
            m = _DATA_LINE.search(buf, start)
            while m is not None and m.end() == len(buf):  # the line may go on in the next block
                more = f.read(_HEADER_BLOCK)
                if not more:
                    break
                buf += more
                m = _DATA_LINE.search(buf, start)
            if m is not None:
                return buf[: m.end()]
    return None


def parse_header(path: Path) -> ArffHeader:
    """Read the header of an ARFF file up to and including the ``@data`` line.

    The header is read in blocks and decoded at once; simple ``@attribute`` lines (unquoted
    name, numeric/string type or a plain nominal list) go through one regex with nominal value
    lists shared between attributes declared alike (``{0,1}`` thousands of times in MULAN
    files). Anything else — quotes, escapes, odd bytes — goes through the general tokenizer,
    and a header that cannot be decoded at once through the line-by-line parser, which words
    the error with its line.
    """
    was_enabled = gc.isenabled()
    gc.disable()  # thousands of small objects: collections would double the time (51k attributes)
    try:
        return _parse_header(path)
    finally:
        if was_enabled:
            gc.enable()


def _parse_header(path: Path) -> ArffHeader:
    head = _header_bytes(path)
    if head is None:
        return _parse_header_lines(path)
    bom = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = head[bom:].decode("utf-8")
    except UnicodeDecodeError:
        return _parse_header_lines(path)
    relation = ""
    attributes: list[Attribute] = []
    nominal: dict[str, list[str] | None] = {}
    lines = text.split("\n")
    for k, raw in enumerate(lines):
        m = _FAST_ATTR.match(raw)
        if m is not None:
            name, typ, spec = m.groups()
            if typ:
                kind = "string" if typ.lower() == "string" else "numeric"
                attributes.append(Attribute(name, kind, [], k + 1))
                continue
            if spec not in nominal:
                values = [v.strip() for v in spec.split(",")]
                ok = all(values) and len(set(values)) == len(values)
                nominal[spec] = values if ok else None
            if nominal[spec] is not None:
                attributes.append(Attribute(name, "nominal", list(nominal[spec]), k + 1))  # type: ignore[arg-type]
                continue
        what, name = _header_line(raw.strip(), path, k + 1, attributes)
        if what == "data":
            prefix = "\n".join(lines[: k + 1]) + ("\n" if k + 1 < len(lines) else "")
            return _finish(path, relation, attributes, bom + len(prefix.encode()), k + 2)
        if what == "relation":
            relation = name
    return _parse_header_lines(path)  # not reached: the header ends with an @data line


def _header_line(
    text: str, path: Path, line_no: int, attributes: list[Attribute]
) -> tuple[str, str]:
    """Handle one stripped header line: ("relation", name), ("data", "") or ("", "")."""
    if not text or text.startswith("%"):
        return "", ""
    word = text.split(None, 1)[0].lower()
    rest = text[len(word) :]
    if word == "@relation":
        return "relation", (read_token(rest, path, line_no)[0] if rest.strip() else "")
    if word == "@attribute":
        attributes.append(_attribute(rest, path, line_no))
        return "", ""
    if word == "@data":
        if not attributes:
            raise DataFormatError(located(path, line_no, "@data before any @attribute."))
        return "data", ""
    raise DataFormatError(
        located(path, line_no, f"expected @relation, @attribute or @data, found {text[:40]!r}.")
    )


def _finish(
    path: Path, relation: str, attributes: list[Attribute], offset: int, data_line: int
) -> ArffHeader:
    counts = Counter(a.name for a in attributes)
    dupes = sorted(n for n, c in counts.items() if c > 1)
    if dupes:
        raise DataFormatError(f"{path}: duplicate attribute name(s) {dupes}.")
    return ArffHeader(relation, attributes, offset, data_line)


def _parse_header_lines(path: Path) -> ArffHeader:
    """The line-by-line header parser (exact line numbers for undecodable or truncated files)."""
    relation = ""
    attributes: list[Attribute] = []
    offset = 0
    with open_binary(path) as f:
        for line_no, raw in enumerate(iter(f.readline, b""), 1):
            offset += len(raw)
            if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8").strip()
            except UnicodeDecodeError:
                raise DataFormatError(located(path, line_no, "not UTF-8 text.")) from None
            what, name = _header_line(text, path, line_no, attributes)
            if what == "data":
                return _finish(path, relation, attributes, offset, line_no + 1)
            if what == "relation":
                relation = name
    if offset == 0:
        raise DataFormatError(located(path, 1, "the file is empty; expected an ARFF header."))
    raise DataFormatError(f"{path}: no @data line; the file is truncated or not ARFF.")


def _xml_labels(xml: Path) -> list[str]:
    try:
        root = ET.parse(xml).getroot()
    except ET.ParseError as exc:
        raise DataFormatError(located(xml, exc.position[0], f"invalid XML ({exc}).")) from None
    except OSError as exc:
        raise DataFormatError(f"{xml}: cannot read the label file ({exc}).") from None
    names = [el.get("name", "") for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "label"]
    if not names or not all(names):
        raise DataFormatError(f"{xml}: no <label name=...> elements; not a MULAN label file.")
    return names


def _beside(path: Path) -> Path | None:
    stem = path.name
    for suffix in (".gz", ".arff"):
        stem = stem[: -len(suffix)] if stem.lower().endswith(suffix) else stem
    changed = True
    while changed:
        changed = False
        for suffix in _SPLIT_SUFFIXES:
            if stem.lower().endswith(suffix):
                stem, changed = stem[: -len(suffix)], True
    candidate = path.with_name(stem + ".xml")
    if candidate.is_file():
        return candidate
    xmls = list(path.parent.glob("*.xml"))
    return xmls[0] if len(xmls) == 1 else None


def find_labels(
    header: ArffHeader, path: Path, labels: Sequence[str] | int | None, xml: str | Path | None
) -> list[int] | None:
    """Indices of the label attributes, or None when nothing says which they are."""
    n = len(header.attributes)

    def _binary(i: int) -> bool:
        attribute = header.attributes[i]
        return attribute.kind == "nominal" and sorted(attribute.values) == ["0", "1"]

    if isinstance(labels, int):
        if labels == 0 or abs(labels) >= n:
            raise DataFormatError(f"{path}: labels={labels} does not fit {n} attributes.")
        chosen = list(range(labels)) if labels > 0 else list(range(n + labels, n))
        other = list(range(n - labels, n)) if labels > 0 else list(range(-labels))
        if not any(map(_binary, chosen)) and all(map(_binary, other)):
            # e.g. labels=14 on a MULAN file, whose labels are the *last* 14 attributes
            raise DataFormatError(
                f"{path}: labels={labels} takes the {'first' if labels > 0 else 'last'} "
                f"{abs(labels)} attributes, none of them {{0,1}}; the "
                f"{'last' if labels > 0 else 'first'} {abs(labels)} are. Did you mean "
                f"labels={-labels} (on the command line: --labels={-labels})?"
            )
        return chosen
    if labels is None and xml is None:
        m = _MEKA_C.search(header.relation)
        if m:
            c = int(m.group(1))
            if c == 0 or abs(c) >= n:
                raise DataFormatError(
                    f"{path}: @relation says -C {c} but there are {n} attributes."
                )
            return list(range(c)) if c > 0 else list(range(n + c, n))
        found = _beside(path)
        if found is None:
            return None
        xml = found
    names = list(labels) if labels is not None else _xml_labels(Path(xml))  # type: ignore[arg-type]
    index = header.index()
    loose: dict[str, int] | None = None
    out: list[int] = []
    missing: list[str] = []
    for name in names:
        i = index.get(name)
        if i is None:  # names may differ in escapes only ("Swainson\\'s" vs "Swainson's")
            loose = loose or {_unescape(k): v for k, v in index.items()}
            i = loose.get(_unescape(name))
        if i is None:
            missing.append(name)
        else:
            out.append(i)
    if missing:
        src = f"label file {xml}" if labels is None else "labels="
        raise DataFormatError(
            f"{path}: {src} names {len(missing)} label(s) that are not attributes of the file: "
            f"{missing[:5]}."
        )
    if len(set(out)) != len(out):
        raise DataFormatError(f"{path}: a label is named twice.")
    return sorted(out)
