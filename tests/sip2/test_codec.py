"""The SIP2 codec: layouts, checksum, sequence trailer, and hostile input (fuzzed)."""

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sip2.codec import LAYOUTS, ChecksumError, Message, SIP2Error, build, checksum, parse

# A message from the 3M specification's examples (checksum computed by hand there).
SPEC_EXAMPLE = (
    b"09N20160419    12200820160419    122008APReading Room 1|AO830|AB830$28170815|AC|AY2AZEB80"
)


def test_checksum_of_a_known_message():
    assert checksum(SPEC_EXAMPLE[: SPEC_EXAMPLE.rfind(b"AZ") + 2]) == "EB80"


def test_parse_a_checkin_with_error_detection():
    message = parse(SPEC_EXAMPLE + b"\r")
    assert message.command == "09"
    assert message.fixed["no_block"] == "N"
    assert message.fixed["transaction_date"] == "20160419    122008"
    assert message.get("AP") == "Reading Room 1"
    assert message.get("AB") == "830$28170815"
    assert message.get("AC") == ""
    assert message.sequence == 2
    assert message.checksummed


def test_a_wrong_checksum_is_refused():
    bad = SPEC_EXAMPLE[:-4] + b"EB81"
    with pytest.raises(ChecksumError):
        parse(bad)


def test_a_checksum_without_its_leading_zero_is_accepted():
    # One popular client formats the checksum without padding ("EB8" for 0x0EB8).
    body = b"9900302.00AY1AZ"
    value = int(checksum(body), 16)
    assert parse(body + f"{value:X}".encode()).sequence == 1


def test_build_then_parse_round_trip():
    message = Message(
        "64",
        {"patron_status": " " * 14, "language": "000", "transaction_date": "20261201    120000"},
        [("AO", "calumet"), ("AA", "21234567890001"), ("AE", "Ada L."), ("AU", "3123")],
        sequence=7,
    )
    data = build(message)
    assert data.endswith(b"\r")
    back = parse(data)
    assert back.sequence == 7
    assert back.get("AE") == "Ada L."
    assert back.get_all("AU") == ["3123"]
    assert back.fixed["hold_items_count"] == "    "


def test_build_strips_delimiters_from_values():
    data = build(Message("36", {"end_session": "Y"}, [("AF", "a|b\rc")]))
    assert parse(data).get("AF") == "abc"


def test_no_trailer_without_a_sequence():
    data = build(Message("94", {"ok": "1"}))
    assert data == b"941\r"


@pytest.mark.parametrize(
    "raw",
    [b"", b"x", b"XX", b"9", b"00", b"93", b"23abc", b"11N", b"6300", b"99\x00", b"93A\rB"],
)
def test_malformed_input_is_a_codec_error(raw):
    with pytest.raises(SIP2Error):
        parse(raw)


@pytest.mark.parametrize("command", sorted(LAYOUTS))
def test_every_layout_round_trips(command):
    fixed = {name: "Y" * length for name, length in LAYOUTS[command]}
    message = Message(command, fixed, [("AO", "x")], sequence=3)
    assert parse(build(message)).fixed == fixed


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_bytes_never_raise_anything_but_the_codec_error(data):
    with contextlib.suppress(SIP2Error):
        parse(data)


@settings(max_examples=400)
@given(
    st.sampled_from(sorted(LAYOUTS)),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=120),
    st.booleans(),
)
def test_fuzz_plausible_messages(command, tail, trailer):
    text = command + tail + ("AY1AZ" if trailer else "")
    try:
        parse(text)
        parse(text.encode("utf-8", "surrogatepass"))
    except SIP2Error:
        pass
    except UnicodeEncodeError:
        pass


@settings(max_examples=200)
@given(
    st.sampled_from(sorted(LAYOUTS)),
    st.lists(
        st.tuples(
            st.from_regex(r"\A[A-Z]{2}\Z"),
            st.text(
                alphabet=st.characters(codec="utf-8", exclude_characters="|\r\n\x00"), max_size=40
            ),
        ),
        max_size=6,
    ),
    st.integers(min_value=0, max_value=9),
)
def test_fuzz_build_parse_round_trip(command, fields, sequence):
    message = Message(command, {}, fields, sequence=sequence)
    back = parse(build(message))
    assert back.command == command
    assert back.sequence == sequence
    assert [(k, v[:255]) for k, v in fields] == back.fields
