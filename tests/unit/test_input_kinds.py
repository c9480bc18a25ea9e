"""Each kind of input names itself for the outcome and says where its exports go."""

from __future__ import annotations

from sms_export.core.errors import InputError
from sms_export.core.input_kinds import (
    DiscoveryInput,
    DocumentInput,
    InlineInput,
    ObjectInput,
    UnusableInput,
    records,
)


def test_only_an_object_is_named_by_the_storage_scheme_and_has_a_home_bucket() -> None:
    stored = ObjectInput("in", "incoming/wave 1.csv")
    assert stored.uri("obs") == "obs://in/incoming/wave 1.csv"
    assert stored.home_bucket() == "in"
    carried = [
        InlineInput([]),
        DocumentInput(b"", name="wave.csv"),
        DocumentInput(b""),
        DiscoveryInput(),
        UnusableInput(InputError("EmptyMessage", "empty")),
    ]
    assert [source.uri("s3") for source in carried] == [
        "inline",
        "wave.csv",
        "inline",
        "discovery",
        "inline",
    ]
    assert {source.home_bucket() for source in carried} == {None}


def test_an_object_under_the_export_prefix_or_outside_the_input_prefix_is_ignored() -> None:
    def why(key: str) -> str | None:
        return ObjectInput("b", key).why_ignored("consistency-results/", "incoming/")

    assert why("incoming/wave.csv") is None
    assert why("consistency-results/incoming/outcome.json") == (
        "the object is under EXPORT_PREFIX (consistency-results/)"
    )
    assert why("other/wave.csv") == "the object is outside INPUT_PREFIX (incoming/)"
    assert InlineInput([]).why_ignored("consistency-results/", "incoming/") is None


def test_records_are_a_list_or_none() -> None:
    assert records({"Records": [1, 2]}) == [1, 2]
    assert records({"Records": {"not": "a list"}}) == []
    assert records({"record": [3]}, "record") == [3]
