"""Reading a page's form as a browser would submit it: shared by the load test's simulated users
(locustfile.py) and the bench's progress-update measurement (bench/audit.py). Imports nothing else."""

from html.parser import HTMLParser


class HiddenInputs(HTMLParser):
    """The hidden inputs (CSRF, one-time token, version, next…) of the form posting to ``action``."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.values = action, False, {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.inside = (attributes.get("action") or "").endswith(self.action)
        elif tag == "input" and self.inside and attributes.get("type") == "hidden" and attributes.get("name"):
            self.values[attributes["name"]] = attributes.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def hidden_inputs(html: str, action: str) -> dict:
    parser = HiddenInputs(action)
    parser.feed(html)
    return parser.values
