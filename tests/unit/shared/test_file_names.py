"""File names as text in messages: any bytes, there and back, and readable where they can be."""

from hypothesis import given
from hypothesis import strategies as st

from newswire.file_names import escaped_name, name_bytes


@given(st.binary(max_size=300))
def test_every_name_comes_back_byte_for_byte(name: bytes) -> None:
    assert name_bytes(escaped_name(name)) == name


@given(st.text(alphabet=st.characters(exclude_characters="\\"), max_size=100))
def test_a_utf8_name_without_backslashes_reads_as_itself(name: str) -> None:
    assert (
        escaped_name(name.encode("utf-8", "surrogatepass")) == name
        or max(name, default="") >= "\ud800"
    )


def test_undecodable_bytes_and_backslashes_are_escaped_distinctly() -> None:
    assert escaped_name(b"caf\xe9.txt") == "caf\\xe9.txt"
    assert escaped_name(b"caf\\xe9.txt") == "caf\\\\xe9.txt"
    assert name_bytes("caf\\\\xe9.txt") == b"caf\\xe9.txt"
