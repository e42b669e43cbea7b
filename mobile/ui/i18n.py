"""The app's own words (the interface language: the officer's), through gettext catalogs.

English is written in the code; ``mobile/locale/<lang>/LC_MESSAGES/tablet.po`` translates it
(Welsh today: the Welsh Language Standards apply to Welsh forces and councils), read by Babel
(``shared_schemas.catalogs``). kv rules write ``tr._('Save visit')``: ``tr`` is an Observable whose
``_`` kv binds to, so switching the interface language re-evaluates every rule that used it and
every label changes at once. This is separate from the resident's language, which only changes
the questionnaire's words (``VisitViewModel.choose_language``).
"""

from __future__ import annotations

import weakref

from kivy.lang import Observable

from mobile import words
from mobile.words import DOMAIN, LOCALE_DIR, interface_languages

__all__ = ["DOMAIN", "LOCALE_DIR", "NAMES", "Interface", "interface_languages", "tr"]

#: Each interface language by its own name, for the switch.
NAMES = {"en": "English", "cy": "Cymraeg"}


class Interface(Observable):
    """``tr._(text)``: ``text`` in the interface language; ``tr.switch(code)`` changes it everywhere."""

    def __init__(self) -> None:
        super().__init__()
        self._observers: dict[int, tuple] = {}
        self._next_uid = 1
        self._listeners: list[weakref.WeakMethod] = []

    @property
    def language(self) -> str:
        return words.language()

    def _(self, text: str) -> str:
        return words._(text)

    def on_switch(self, method) -> None:
        """Call a widget's ``method`` after each switch (for words set from Python); held weakly."""
        self._listeners.append(weakref.WeakMethod(method))

    def other(self) -> str:
        """The interface language the switch offers next."""
        codes = interface_languages()
        return codes[(codes.index(self.language) + 1) % len(codes)] if self.language in codes else codes[0]

    def switch(self, code: str) -> None:
        words.use(code)
        for uid, (func, largs, _kwargs) in list(self._observers.items()):
            try:
                func(*largs, None, None)
            except ReferenceError:  # the widget whose rule this was is gone
                self._observers.pop(uid, None)
        self._listeners = [ref for ref in self._listeners if ref() is not None]
        for ref in list(self._listeners):
            method = ref()
            if method is not None:
                method()

    # kv binds to ``_`` as if it were a property (Kivy's documented i18n pattern).
    def fbind(self, name, func, *largs, **kwargs):
        if name != "_":
            return super().fbind(name, func, *largs, **kwargs)
        uid = self._next_uid
        self._next_uid += 1
        self._observers[uid] = (func, largs, kwargs)
        return uid

    def funbind(self, name, func, *largs, **kwargs):
        if name != "_":
            return super().funbind(name, func, *largs, **kwargs)
        for uid, entry in list(self._observers.items()):
            if entry == (func, largs, kwargs):
                del self._observers[uid]

    def unbind_uid(self, name, uid):
        if name != "_":
            return super().unbind_uid(name, uid)
        self._observers.pop(uid, None)


tr = Interface()
