"""XML and HTML trees for the parsers: read safely, told apart by their root, turned into text.

Untrusted XML is read with entities left unexpanded, no DTD loaded and nothing fetched, so neither
an entity bomb nor an external entity can reach the file system or the network. The text of a
document comes from lxml as Unicode (ingest decoded the bytes), so the encoding its XML
declaration names is ignored.

`block_paragraphs` is the one place that turns marked-up prose (an NITF `body.content`, XHTML,
an HTML fragment from a feed, ninjs or an e-mail) into body paragraphs: each paragraph-like
element is one paragraph, loose text between them is one too, and what is not prose (scripts,
styles, tables, media and their captions) is left out.
"""

import hashlib
import io
from collections.abc import Iterator

from lxml import etree, html  # type: ignore[import-untyped]

from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.text import clean, paragraphs

_BLOCKS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "hl1", "hl2", "li", "dt", "dd", "pre", "blockquote"}
    | {"address"}
)
# Not prose: code and styles, embedded objects, media and their captions, tables, page furniture.
_SKIPPED = frozenset(
    {"script", "style", "noscript", "template", "head", "title", "iframe", "object", "embed"}
    | {"svg", "math", "img", "video", "audio", "figure", "figcaption", "caption", "media"}
    | {"nitf-table", "table", "form", "button", "nav", "aside", "footer", "select", "textarea"}
)
_BREAKS = frozenset({"br"})
# Elements whose children are paragraphs even when they hold no paragraph element themselves.
_CONTAINERS = frozenset(
    {"div", "section", "article", "main", "header", "body", "body.content", "body.head", "block"}
    | {"ul", "ol", "dl", "center"}
)


def _xml_parser(*, recover: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        encoding="utf-8",
        recover=recover,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(content: str, *, recover: bool = False) -> etree._Element:
    """The document's root element; raises `UnparseableArticleError` saying where it is broken.
    With `recover`, what libxml2 can make of a damaged document (feeds with HTML entities)."""
    try:
        root = etree.fromstring(
            content.lstrip("\ufeff").encode("utf-8"), _xml_parser(recover=recover)
        )
    except etree.XMLSyntaxError as error:
        raise UnparseableArticleError(f"the XML is not well-formed: {error}") from error
    if root is None:
        raise UnparseableArticleError("the XML document is empty")
    return root


def root_element(content: str) -> tuple[str, str] | None:
    """(namespace, local name) of an XML document's root, read from its start only; None when
    the text is not XML."""
    data = io.BytesIO(content.lstrip("\ufeff \t\r\n").encode("utf-8"))
    events = etree.iterparse(
        data,
        events=("start",),
        encoding="utf-8",
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
    )
    try:
        for _, element in events:
            qualified = etree.QName(element)
            return qualified.namespace or "", qualified.localname
    except etree.XMLSyntaxError:
        return None
    return None


def local_name(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):  # comments, processing instructions, entities
        return ""
    return tag.rpartition("}")[2]


def children(element: etree._Element | None, name: str) -> list[etree._Element]:
    """Child elements with this local name, whatever their namespace."""
    if element is None:
        return []
    return [child for child in element if local_name(child) == name]


def child(element: etree._Element | None, *path: str) -> etree._Element | None:
    """The first element down this path of local names, or None."""
    for name in path:
        found = children(element, name)
        element = found[0] if found else None
    return element


def descendants(element: etree._Element | None, name: str) -> Iterator[etree._Element]:
    if element is None:
        return
    for found in element.iter():
        if local_name(found) == name:
            yield found


def element_text(element: etree._Element | None) -> str | None:
    """All the text inside the element, whitespace collapsed; None when there is none."""
    if element is None:
        return None
    return clean("".join(element.itertext())) or None


def attribute(element: etree._Element | None, name: str) -> str | None:
    """An attribute by local name (`qcode`, `xml:lang` as `lang`…), stripped; None if empty."""
    if element is None:
        return None
    for key, value in element.attrib.items():
        if str(key).rpartition("}")[2] == name:
            return clean(str(value)) or None
    return None


def canonical_sha256(element: etree._Element) -> tuple[str, str]:
    """The element's exclusive XML canonical form (C14N) and its sha256: the same item has the
    same form in whatever file, at whatever position, it comes. C14N refuses relative namespace
    URIs (`xmlns:x="rel/ns"`, deprecated by the Namespaces in XML recommendation but still
    well-formed): such an item is named by its plain serialisation instead."""
    try:
        canonical = etree.tostring(element, method="c14n", exclusive=True, with_comments=False)
    except etree.C14NError:
        canonical = etree.tostring(element, encoding="utf-8")
    return canonical.decode("utf-8"), hashlib.sha256(canonical).hexdigest()


def block_paragraphs(element: etree._Element | None) -> tuple[str, ...]:
    """The prose inside an element, one string per paragraph, in reading order."""
    if element is None:
        return ()
    found: list[str] = []
    _collect(element, found)
    return tuple(paragraph for paragraph in found if paragraph)


def html_paragraphs(fragment: str) -> tuple[str, ...]:
    """The paragraphs of an HTML fragment (or plain text with blank lines, as feeds send both)."""
    if not fragment.strip():
        return ()
    if "<" not in fragment:
        return paragraphs(fragment)
    try:
        root = html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return ()
    return block_paragraphs(root)


def _collect(element: etree._Element, found: list[str]) -> None:
    loose: list[str] = [element.text or ""]

    def flush() -> None:
        text = clean("".join(loose))
        if text:
            found.append(text)
        loose.clear()

    for item in element:
        name = local_name(item)
        if name in _SKIPPED or not name:
            loose.append(item.tail or "")
        elif name in _BLOCKS:
            flush()
            found.append(_inline_text(item))
            loose.append(item.tail or "")
        elif name in _BREAKS:
            loose.append(" " + (item.tail or ""))
        elif name in _CONTAINERS or _has_blocks(item):
            flush()
            _collect(item, found)
            loose.append(item.tail or "")
        else:  # inline markup (a link, emphasis): part of the loose text around it
            loose.append(_inline_text(item) + (item.tail or ""))
    flush()


def _has_blocks(element: etree._Element) -> bool:
    return any(
        local_name(inner) in _BLOCKS or local_name(inner) in _CONTAINERS
        for inner in element.iterdescendants()
    )


def _inline_text(element: etree._Element) -> str:
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        parts.append(node.text or "")
        for inner in node:
            name = local_name(inner)
            if name in _BREAKS:
                parts.append(" ")
            elif name and name not in _SKIPPED:
                walk(inner)
            parts.append(inner.tail or "")

    walk(element)
    return clean("".join(parts))
