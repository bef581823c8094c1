"""The message catalogues: English complete and faithful to the sources, compiled, and used by the pages.

Nothing here needs GNU gettext: the .po files are read by a small parser, the .mo files by Python's
gettext module, and the sources' msgids are collected the way makemessages collects them (Python
calls by function name, templates through Django's own templatize). A failure message says how to
bring the catalogue up to date (UPDATE below).
"""

import ast
import gettext as gnu_gettext
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import django
import pytest
from django.conf import settings
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.urls import reverse
from django.utils import translation
from django.utils.translation.template import templatize

from core.translations import DJANGO_STRINGS
from tests.signin import sign_in

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
# The same folders makemessages is told to skip (see UPDATE below).
NOT_SCANNED = {".venv", "var", "tests", "bench", "staticfiles", "node_modules", "locale"}
UPDATE = (
    "Update the catalogue: .venv/bin/python manage.py makemessages -l en -l vi --ignore=.venv --ignore=var "
    "--ignore=tests --ignore=bench --ignore=staticfiles, translate every new msgid in "
    "locale/en/LC_MESSAGES/django.po (no empty or fuzzy msgstr), then .venv/bin/python manage.py "
    "compilemessages --ignore=.venv --ignore=var"
)


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


def read_po(path: Path) -> list[Entry]:
    """The live entries of a .po file (header and obsolete "#~" entries left out)."""
    entries, current, last = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = line.strip()
        if not line or line.startswith("#~"):
            if current is not None and line == "":
                entries.append(current)
                current = None
            continue
        if current is None:
            current = Entry(msgid="")
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(last, int):
                current.msgstr[last] += value
            else:
                setattr(current, last, getattr(current, last) + value)
        else:
            keyword, literal = line.split(" ", 1)
            value = ast.literal_eval(literal)
            if keyword.startswith("msgstr"):
                last = int(keyword[7:-1]) if "[" in keyword else 0
                current.msgstr[last] = value
            else:
                last = keyword
                setattr(current, keyword, value)
    return [entry for entry in entries if entry.msgid != ""]


PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sdr]|\{\{\s*\w+\s*\}\}|\{\w*\}|</?\w+")


def placeholders(text: str) -> list[str]:
    """Python-format, template and str.format placeholders, and HTML tags, which a translation must keep."""
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


GETTEXT_CALLS = {
    "_": (None, 0),
    "gettext": (None, 0),
    "gettext_lazy": (None, 0),
    "gettext_noop": (None, 0),
    "ngettext": (None, 0),
    "ngettext_lazy": (None, 0),
    "pgettext": (0, 1),
    "pgettext_lazy": (0, 1),
    "npgettext": (0, 1),
    "npgettext_lazy": (0, 1),
}
TEMPLATIZED_CALL = re.compile(r"\b(n?p?gettext)\(((?:\s*u?(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\s*,?)+)")
STRING_LITERAL = re.compile(r"u?('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")


def scanned_files(suffix: str):
    for path in sorted(ROOT.rglob(f"*{suffix}")):
        parts = path.relative_to(ROOT).parts
        if not any(part in NOT_SCANNED or part.startswith(".") for part in parts[:-1]):
            yield path


def msgids_in_sources() -> dict[tuple[str | None, str], str]:
    """Every literal msgid marked in our Python and templates, as makemessages would find it, with its file."""
    found = {}
    for path in scanned_files(".py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in GETTEXT_CALLS:
                continue
            context_at, msgid_at = GETTEXT_CALLS[name]
            args = [arg.value if isinstance(arg, ast.Constant) else None for arg in node.args]
            if len(args) <= msgid_at or not isinstance(args[msgid_at], str):
                continue
            context = args[context_at] if context_at is not None else None
            found[(context, args[msgid_at])] = f"{path.relative_to(ROOT)}:{node.lineno}"
    for path in scanned_files(".html"):
        for match in TEMPLATIZED_CALL.finditer(templatize(path.read_text(encoding="utf-8"), origin=str(path))):
            strings = [ast.literal_eval(literal) for literal in STRING_LITERAL.findall(match.group(2))]
            if match.group(1).startswith(("pgettext", "npgettext")):
                found[(strings[0], strings[1])] = str(path.relative_to(ROOT))
            else:
                found[(None, strings[0])] = str(path.relative_to(ROOT))
    return found


def read_mo(path: Path) -> dict:
    with path.open("rb") as handle:
        catalog = dict(gnu_gettext.GNUTranslations(handle)._catalog)
    catalog.pop("", None)  # the header
    return catalog


def expected_mo(entries: list[Entry]) -> dict:
    """What msgfmt makes of the .po: translated, non-fuzzy entries keyed the way Python's gettext keys them."""
    catalog = {}
    for entry in entries:
        if "fuzzy" in entry.flags or not any(entry.msgstr.values()):
            continue
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            catalog[key] = entry.msgstr[0]
        else:
            catalog.update({(key, index): text for index, text in entry.msgstr.items()})
    return catalog


ENGLISH = read_po(LOCALE / "en" / "LC_MESSAGES" / "django.po")
VIETNAMESE = read_po(LOCALE / "vi" / "LC_MESSAGES" / "django.po")


class TestEnglishCatalogue:
    def test_every_entry_has_a_translation(self):
        untranslated = [entry.key for entry in ENGLISH if not all(entry.msgstr.values())]
        assert not untranslated, f"{len(untranslated)} msgids without English: {untranslated[:20]}. {UPDATE}"
        plural = [entry.key for entry in ENGLISH if entry.msgid_plural is not None and len(entry.msgstr) != 2]
        assert not plural, f"English needs a singular and a plural msgstr: {plural}"

    def test_no_entry_is_fuzzy(self):
        fuzzy = [entry.key for entry in ENGLISH if "fuzzy" in entry.flags]
        assert not fuzzy, f"fuzzy entries are not used at run time; review them and drop the flag: {fuzzy[:20]}"

    def test_translations_keep_the_placeholders(self):
        broken = []
        for entry in ENGLISH:
            for index, text in entry.msgstr.items():
                source = entry.msgid if index == 0 or entry.msgid_plural is None else entry.msgid_plural
                if placeholders(text) != placeholders(source):
                    broken.append((entry.msgid, text))
        assert not broken, f"placeholders or tags differ: {broken[:10]}"

    def test_no_gettext_call_hides_inside_an_f_string(self):
        """xgettext does not read f-string expressions, so makemessages would silently miss the msgid."""
        hidden = []
        for path in scanned_files(".py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.JoinedStr):
                    calls = [call for call in ast.walk(node) if isinstance(call, ast.Call)]
                    names = {getattr(call.func, "id", None) or getattr(call.func, "attr", None) for call in calls}
                    if names & GETTEXT_CALLS.keys():
                        hidden.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        assert not hidden, f"move these gettext calls out of the f-string: {hidden}"

    def test_every_marked_string_in_the_sources_is_in_the_catalogue(self):
        catalogue = {entry.key for entry in ENGLISH}
        missing = {key: where for key, where in msgids_in_sources().items() if key not in catalogue}
        assert not missing, (
            f"{len(missing)} marked strings are not in the catalogue: {list(missing.items())[:20]}. {UPDATE}"
        )


class TestCompiledCatalogues:
    @pytest.mark.parametrize(("language", "entries"), [("en", ENGLISH), ("vi", VIETNAMESE)])
    def test_mo_file_matches_the_po_file(self, language, entries):
        compiled = read_mo(LOCALE / language / "LC_MESSAGES" / "django.mo")
        expected = expected_mo(entries)
        stale = sorted(str(key) for key in compiled.keys() | expected.keys() if compiled.get(key) != expected.get(key))
        assert not stale, f"locale/{language}/LC_MESSAGES/django.mo is out of date ({stale[:10]}). {UPDATE}"


class TestDjangoStringsInVietnamese:
    def test_django_strings_missing_from_djangos_vietnamese_catalogue_are_translated(self):
        with translation.override("vi"):
            untranslated = [text for text in DJANGO_STRINGS if translation.gettext(text) == text]
        assert not untranslated, f"add Vietnamese for these in locale/vi/LC_MESSAGES/django.po: {untranslated}"

    def test_django_still_uses_these_msgids(self):
        djangos_own = {
            entry.msgid for entry in read_po(Path(django.__file__).parent / "conf/locale/en/LC_MESSAGES/django.po")
        }
        assert not set(DJANGO_STRINGS) - djangos_own, "Django reworded these; update core/translations.py"

    def test_the_blank_choice_reads_chon(self):
        with translation.override("vi"):
            assert str(BLANK_CHOICE_LABEL) == "— Chọn —"
        with translation.override("en"):
            assert str(BLANK_CHOICE_LABEL) == "— Select —"


NAV_VI = ["Tổng quan", "Kết nghĩa", "Cam kết", "Xác nhận tiến độ", "Đơn vị", "Báo cáo"]
NAV_EN = ["Overview", "Partnerships", "Commitments", "Verify progress", "Units", "Reports"]


def main_navigation(response) -> str:
    page = response.content.decode()
    return page[page.index('<nav class="mainnav"') : page.index("</nav>", page.index('<nav class="mainnav"'))]


@pytest.mark.django_db
class TestPagesInEachLanguage:
    def choose_english(self, client, next_url):
        response = client.post(reverse("set_language"), {"language": "en", "next": next_url})
        assert response.status_code == 302
        return client.get(response["Location"])

    def test_choosing_english_in_the_user_menu_translates_the_navigation(self, client, world):
        sign_in(client, world.city)
        response = self.choose_english(client, reverse("communes:commune_list"))

        assert response.status_code == 200
        assert '<html lang="en">' in response.content.decode()
        navigation = main_navigation(response)
        for label in NAV_EN:
            assert f">{label}</a>" in navigation
        for label in NAV_VI:
            assert f">{label}</a>" not in navigation
        assert "Commune-level administrative units" in response.content.decode()

    def test_commune_page_in_english_puts_the_kind_after_the_name(self, client, world):
        sign_in(client, world.officer)
        response = self.choose_english(client, reverse("communes:commune_detail", args=[world.supported.code]))

        assert response.status_code == 200
        assert "Trà Tân Commune" in response.content.decode()
        assert ">My unit</a>" in main_navigation(response)

    def test_vietnamese_is_the_default(self, client, world):
        sign_in(client, world.city)
        response = client.get(reverse("communes:commune_list"))

        assert '<html lang="vi">' in response.content.decode()
        navigation = main_navigation(response)
        for label in NAV_VI:
            assert f">{label}</a>" in navigation
        for label in NAV_EN:
            assert f">{label}</a>" not in navigation

    def test_language_menu_names_each_language_in_itself(self, client, world):
        sign_in(client, world.city)
        for response in (client.get(reverse("communes:commune_list")), self.choose_english(client, "/communes/")):
            # Django's own name for Vietnamese is stored decomposed (ê + combining accent).
            options = re.findall(
                r"<option value=\"(\w+)\" lang=\"\1\"(?: selected)?>([^<]*)</option>", response.content.decode()
            )
            assert [(code, unicodedata.normalize("NFC", name)) for code, name in options] == [
                ("vi", "Tiếng Việt"),
                ("en", "English"),
            ]

    @pytest.mark.parametrize(
        ("url", "has_generic_blank"),
        [
            (lambda world: reverse("partnerships:partnership_create"), False),
            (lambda world: reverse("partnerships:document_upload", args=[world.partnership.pk]), True),
            (lambda world: reverse("partnerships:activity_create", args=[world.partnership.pk]), True),
        ],
    )
    def test_forms_never_show_djangos_english_in_vietnamese(self, client, world, url, has_generic_blank):
        sign_in(client, world.city)
        page = client.get(url(world)).content.decode()
        invalid = client.post(url(world), {}).content.decode()

        assert ('<option value="" selected>— Chọn —</option>' in page) is has_generic_blank
        for html in (page, invalid):
            assert "Select an option" not in html
            assert "This field is required" not in html

    def test_the_blank_choice_is_english_once_english_is_chosen(self, client, world):
        sign_in(client, world.city)
        page = self.choose_english(client, reverse("partnerships:document_upload", args=[world.partnership.pk]))

        assert '<option value="" selected>— Select —</option>' in page.content.decode()
