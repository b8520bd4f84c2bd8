"""
What a browser posts when a form is submitted as the page rendered it: every
successful control of the form, with text areas' line ends sent as CRLF
(the HTML standard's form submission), for tests that post an admin page back.
"""

from html.parser import HTMLParser


class _FormParser(HTMLParser):
    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, []
        self._textarea = self._select = None
        self._text: list[str] = []
        self._options: list[tuple[str, bool]] = []
        self._option = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if not attrs.get("name") or "disabled" in attrs or kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.append((attrs["name"], attrs.get("value", "on" if kind in ("checkbox", "radio") else "")))
        elif tag == "textarea" and attrs.get("name") and "disabled" not in attrs:
            self._textarea, self._text = attrs["name"], []
        elif tag == "select" and attrs.get("name") and "disabled" not in attrs:
            self._select, self._options = (attrs["name"], "multiple" in attrs), []
        elif tag == "option" and self._select:
            self._option = [attrs.get("value"), "selected" in attrs, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)
        elif self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            # The parser drops one newline right after <textarea>; then line ends go out as CRLF.
            text = text[1:] if text.startswith("\n") else text
            self.fields.append((self._textarea, text.replace("\r\n", "\n").replace("\n", "\r\n")))
            self._textarea = None
        elif tag == "option" and self._option is not None:
            value, selected, label = self._option
            self._options.append((label.strip() if value is None else value, selected))
            self._option = None
        elif tag == "select" and self._select is not None:
            name, multiple = self._select
            chosen = [value for value, selected in self._options if selected]
            if not chosen and not multiple and self._options:
                chosen = [self._options[0][0]]
            self.fields += [(name, value) for value in chosen]
            self._select = None


def posted_form(html: str, form_id: str) -> dict[str, list[str]]:
    """The data the form `form_id` of `html` submits, as the test client takes it."""
    parser = _FormParser(form_id)
    parser.feed(html)
    data: dict[str, list[str]] = {}
    for name, value in parser.fields:
        data.setdefault(name, []).append(value)
    return data
