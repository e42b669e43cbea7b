"""The follow-up form, used in a visit and for a street: category, priority, description,
resident consent, and contact details only when the resident consents."""

from __future__ import annotations

from functools import partial

from kivy.metrics import dp
from kivy.properties import NumericProperty, ObjectProperty, StringProperty
from kivy.uix.scrollview import ScrollView

from mobile.ui.widgets import AppToggle, load_kv
from mobile.viewmodels.visit import VisitViewModel

load_kv(__file__)


class FollowupForm(ScrollView):
    vm = ObjectProperty(None, allownone=True)
    form_error = StringProperty("")
    category_error = StringProperty("")
    description_error = StringProperty("")
    consent_error = StringProperty("")
    contact_error = StringProperty("")
    consent = StringProperty("")  # "", "yes", "no"
    category_cols = NumericProperty(2)
    submit_text = StringProperty("Add follow-up")

    def __init__(self, **kwargs):
        self._syncing = False
        self._built_for = None
        super().__init__(**kwargs)
        self.bind(width=lambda *_: setattr(self, "category_cols", 5 if self.width > dp(1000) else 2))

    def load(self) -> None:
        """Show the view-model's draft (a new form, or one being corrected)."""
        draft = self.vm.draft
        self._syncing = True
        try:
            if self._built_for is not draft:
                self._build_choices()
                self._built_for = draft
                self.ids.description.text = draft.description
                self.ids.contact_name.text = draft.contact_name
                self.ids.contact_phone.text = draft.contact_phone
                self.ids.contact_email.text = draft.contact_email
                self.scroll_y = 1
            self._show_state()
        finally:
            self._syncing = False

    def _build_choices(self) -> None:
        group = f"fu_cat_{id(self)}"
        box = self.ids.categories
        box.clear_widgets()
        for code, text in VisitViewModel.followup_choices():
            t = AppToggle(text=text, group=group, allow_no_selection=False)
            t.value = code
            t.bind(on_release=partial(self._choose, "category", code))
            box.add_widget(t)
        box = self.ids.priorities
        box.clear_widgets()
        for code, text in VisitViewModel.priority_choices():
            t = AppToggle(text=text, group=f"fu_pri_{id(self)}", allow_no_selection=False)
            t.value = code
            t.bind(on_release=partial(self._choose, "priority", code))
            box.add_widget(t)

    def _show_state(self) -> None:
        draft = self.vm.draft
        for t in self.ids.categories.children:
            t.state = "down" if t.value == draft.category else "normal"
        for t in self.ids.priorities.children:
            t.state = "down" if t.value == draft.priority else "normal"
        self.consent = {True: "yes", False: "no", None: ""}[draft.consent]
        if draft.consent is False:
            for key in ("contact_name", "contact_phone", "contact_email"):
                self.ids[key].text = ""
        errors = self.vm.form_errors
        for key in ("form", "category", "description", "consent", "contact"):
            setattr(self, f"{key}_error", errors.get(key, ""))

    def _choose(self, field: str, code: str, *_):
        self.edit(**{field: code})

    def edit(self, **values) -> None:
        if self._syncing or self.vm is None:
            return
        self.vm.edit_followup(**values)

    def submit(self) -> None:
        self.vm.save_followup_draft()
