"""Links in an HTML page, with their text, resolved against the page URL."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []
        self.base: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "base" and attrs.get("href"):
            self.base = attrs["href"]
        if tag == "a" and attrs.get("href"):
            self._href, self._text = attrs["href"], []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


def extract_links(html: str, page_url: str) -> list[tuple[str, str]]:
    """(absolute URL without fragment, link text), in page order, javascript:/mailto: dropped."""
    parser = _LinkParser()
    parser.feed(html)
    base = urljoin(page_url, parser.base) if parser.base else page_url
    out = []
    for href, text in parser.links:
        href = href.strip()
        if href.lower().startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        out.append((urldefrag(urljoin(base, href))[0], text))
    return out


def decode_html(body: bytes, content_type: str | None) -> str:
    """Portal pages come in UTF-8 or GBK; trust the header, then the meta tag, then try both."""
    charset = None
    if content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=")[-1].split(";")[0].strip()
    if charset is None:
        head = body[:2048].decode("ascii", errors="ignore").lower()
        if "charset=" in head:
            charset = head.split("charset=")[1].split('"')[0].split("'")[0].split(">")[0].strip(" /;")
    for candidate in (charset, "utf-8", "gb18030"):
        if not candidate:
            continue
        try:
            return body.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", errors="replace")
