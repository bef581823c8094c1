"""Django's own English strings that reach our pages but are missing from Django's Vietnamese catalogue.

The portal never imports this module at run time: it exists so that ``makemessages`` extracts these
msgids into locale/<lang>/LC_MESSAGES/django.po, where their Vietnamese lives next to our strings.

Why a module and not hand-written entries in locale/vi/LC_MESSAGES/django.po: makemessages drops
(marks obsolete) every entry it does not find in our sources, so a hand-added entry would vanish at
the next catalogue update. A separate gettext domain would survive, but Django reads only the
"django" domain for Python and templates, so it would need custom loading code. Marked here, the
entries are ordinary catalogue entries, and LOCALE_PATHS catalogues take precedence over Django's,
so our Vietnamese text wins.

The msgids must match Django's source exactly (curly quotes and dashes included);
tests/core/test_translations.py checks each against Django's own catalogue, so a Django upgrade that
rewords one fails there. In the English catalogue the msgstr repeats the msgid, or a house wording.
"""

from django.utils.translation import gettext_noop

DJANGO_STRINGS = [
    # Django 6.1's blank choice of every optional <select> (django.db.models.fields.BLANK_CHOICE_LABEL).
    gettext_noop("- Select an option -"),
    # Form field validation (django.core.validators, django.forms.models).
    gettext_noop("Null characters are not allowed."),
    gettext_noop("“%(pk)s” is not a valid value."),
    gettext_noop("Constraint “%(name)s” is violated."),
]
