"""A follow-up's resident says how and in which language the partner should get in touch (issue 16):
part of the contact details, so only with consent, checked by the shared rule before saving."""

from __future__ import annotations

from mobile.viewmodels.followup import FollowupDraft, contact_language_choices, problems
from mobile.viewmodels.street_record import StreetRecordViewModel
from mobile.viewmodels.sync import SyncViewModel
from mobile.viewmodels.visit import VisitViewModel
from shared_schemas.communication import BSL

from .support import STREETSAFE_V3, pushed_records


def _followup(vm, **values):
    draft = vm.add_followup()
    vm.edit_followup(draft.id, category="home_fire_safety_visit", description="No smoke alarm upstairs", **values)
    return draft


def test_the_way_and_language_of_contact_reach_the_record(signed_in, transport):
    vm = VisitViewModel(signed_in)
    vm.start(104)
    vm.choose_outcome("refused")
    draft = _followup(vm, consent=True)
    assert draft.contact_language == "en"  # the language of the visit, until another is chosen
    vm.edit_followup(draft.id, contact_method="email", contact_phone="07911 123456", contact_language="pl")
    vm.save()
    assert not vm.saved and vm.errors[f"fu:{draft.id}:contact_method"] == (
        "E-mail needs an e-mail address: give it, or choose another way.")
    vm.edit_followup(draft.id, contact_method="text_message")
    assert f"fu:{draft.id}:contact_method" not in vm.errors
    vm.save()
    assert vm.saved
    SyncViewModel(signed_in).sync_now()
    [followup] = [r for r in pushed_records(transport) if type(r).__name__ == "Followup"]
    assert (followup.resident.contact_method, followup.resident.language) == ("text_message", "pl")
    assert followup.resident.phone == "+447911123456"


def test_a_letter_needs_no_phone_or_email_and_no_consent_keeps_nothing():
    draft = FollowupDraft(category="graffiti", description="Tag on the bus shelter", consent=True,
                          contact_method="letter", contact_language="cy")
    assert problems(draft) == {}
    draft.contact_method = ""
    assert "contact_phone" in problems(draft)  # no way of getting in touch at all
    draft.edit(consent=False)
    assert (draft.contact_method, draft.contact_language, draft.contact_phone) == ("", "", "")


def test_the_languages_offered_are_the_questionnaires_and_bsl():
    import msgspec

    from shared_schemas.questionnaire import Questionnaire

    q = msgspec.convert(STREETSAFE_V3, Questionnaire)
    choices = dict(contact_language_choices(q))
    assert list(choices)[0] == q.default_language and list(choices)[-1] == BSL
    assert choices[BSL] == "British Sign Language"
    assert list(contact_language_choices(None)) == [("en", "English"), (BSL, "British Sign Language")]


def test_a_street_followup_carries_them_too(signed_in):
    vm = StreetRecordViewModel(signed_in)
    vm.start(12, "followup")
    vm.edit_followup(category="street_lighting", description="Lamp out by the footpath", consent=True,
                     contact_method="bsl_video", contact_email="sam@example.org", contact_language=BSL)
    assert vm.save()
    [followup] = [e for e in signed_in.store.outbox_waiting() if e.record_type == "followup"]
    assert b'"contact_method":"bsl_video"' in followup.payload and b'"language":"bfi"' in followup.payload
