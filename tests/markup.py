"""Markup payloads for the report-page tests, and the two checks a report page must pass.

Product names, customer ids, regions and comments come from exports that many people can
edit. A page passes when (1) its source holds none of the payloads unescaped and (2) headless
Chromium, opening it offline, raises no JavaScript dialog (``alert``) from them.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd

#: One classic of each kind: a script element, an event handler on a broken image, a break out of a
#: quoted attribute into an SVG with an onload handler, and a link (plotly draws ``<a href>`` in its
#: texts as a live link; the three others it would show as text even unescaped).
PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>", '"><svg onload=alert(3)>',
            '<a href="https://example.invalid/">link</a>')
#: What must never appear in a page's source or a figure's text: the payloads' live tags (the leading
#: ``">`` of the third one may be escaped on its own, which still leaves the tag live, so it is not part of
#: the pattern).
LIVE_TAGS = re.compile(r'<script>alert\(1\)|<img src=x onerror=alert\(2\)>|<svg onload=alert\(3\)>'
                       r'|<a href="https://example\.invalid/">', re.I)
#: A page's elements that link to the payload's address (HTML ``href`` and SVG ``xlink:href`` alike).
LINKS_JS = """Array.from(document.querySelectorAll('[*|href*="example.invalid"]')).map(e => e.outerHTML)"""
#: Where Debian's ``chromium`` package puts the browser (``.ci/run`` installs it).
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def poison(values: pd.Series) -> pd.Series:
    """``values`` as strings with every payload in front (missing stays missing): one value keeps one
    poisoned value, so keys, groups and joins behave as before."""
    return ("".join(PAYLOADS) + values.astype("string")).astype("string")


def live_markup(folder: Path) -> dict[str, list[str]]:
    """Every ``.html`` file under ``folder`` that holds a payload's live tag -> the tags found."""
    found = {}
    for page in sorted(folder.rglob("*.html")):
        hits = sorted(set(LIVE_TAGS.findall(page.read_text(encoding="utf-8", errors="replace"))))
        if hits:
            found[str(page.relative_to(folder))] = hits
    return found


def live_markup_in_figures(run: Path) -> dict[str, list[str]]:
    """Every plotly figure of a run (``figures/*.json``) with a text that holds a payload's live tag.

    In a page the figure's JSON has ``<`` written as ``\\u003c``, so only the decoded texts show whether
    plotly would draw the data as markup.
    """
    found = {}
    for path in sorted((run / "figures").glob("*.json")):
        fig = json.loads(path.read_text(encoding="utf-8"))
        hits = sorted({m for text in _strings(fig) for m in LIVE_TAGS.findall(text)})
        if hits:
            found[path.name] = hits
    return found


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file()


def open_offline(pages, *, settle_ms: int = 300, script: str = LINKS_JS) -> dict[str, dict]:
    """Open each page in headless Chromium with every network request blocked.

    Returns, per page: ``dialogs`` (the messages of the JavaScript dialogs it raised), ``blocked``
    (the network requests it tried), ``text`` (the page's visible text, ``innerText``) and ``script``
    (what the JavaScript expression ``script`` gives on the page; by default its links to the payload's
    address).
    """
    from playwright.sync_api import sync_playwright

    out, blocked = {}, []

    def only_files(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            context = browser.new_context(offline=True)
            context.route("**/*", only_files)
            for page_path in map(Path, pages):
                dialogs = []
                blocked.clear()
                page = context.new_page()
                page.on("dialog", lambda d, dialogs=dialogs: (dialogs.append(d.message), d.dismiss()))
                page.goto(page_path.resolve().as_uri(), wait_until="load")
                page.wait_for_timeout(settle_ms)       # plotly draws after load
                out[str(page_path)] = {"dialogs": dialogs, "blocked": list(blocked), "text": page.inner_text("body"),
                                       "script": page.evaluate(script) if script else None}
                page.close()
        finally:
            browser.close()
    return out
