"""values.py: the one rule for placeholders, references, made-up values and generated keys."""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness_tui.values import (
    FAKE_WORDS,
    is_dev_password,
    is_example_host,
    is_fake,
    is_local_host,
    is_placeholder,
    is_reference,
    looks_generated,
    random_material,
    shell_default,
)

pytestmark = pytest.mark.fast

ALNUM = string.ascii_letters + string.digits


@pytest.mark.parametrize("value", [
    "MyP@ssw0rd", "TestPassword123", "test-api-key-12345", "sk-1234567890abcdef", "strongpassword123456",
    "secret-x-api-key-67890", "production-key-abcdef123456", "original-key-123", "valid_key_123", "hunter2",
    "P4ssw0rd2023", "super-secret-jwt-token", "your-jwt-secret-at-least-32-characters-long", "admin123",
    "dGVzdC1rZXktdGVzdC1rZXktdGVzdA==",  # base64 of "test-key-test-key-test"
    "gAAAAABfZ4Q4zX7N9e2bY1aXcV3bN6m8PqR5sT2uV4wX7yZ0cA=",  # a typed "Fernet token": …pqrstuvwxyz
    "SUPERSECRETPASSWORD1",
])
def test_values_made_up_for_tests_and_docs_are_fake(value: str) -> None:
    assert is_fake(value)


@pytest.mark.parametrize("value", [
    "xKq29fjQ0ad9LmP3", "AKIACOYEBF7OV2UKH555", "Storm$Roof#2024x", "crm_prod_2024",
    "sb_secret_Qia9e_QiizgU0lSu__rHMg7v3XMoiGDE", "key-76088f501ed322baff52e005cde4eda4",
])
def test_real_looking_values_are_not_fake(value: str) -> None:
    assert not is_fake(value)


@settings(max_examples=300, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), length=st.integers(24, 64),
       alphabet=st.sampled_from([ALNUM, ALNUM + "-_", string.hexdigits.lower(), ALNUM + "+/"]))
def test_generated_keys_are_never_fake_and_look_generated(seed: int, length: int, alphabet: str) -> None:
    """The rule is statistical: about 1 random key in 3,000 reads as typed (measured over 200,000),
    so the examples are fixed (derandomize) and a failure means the rule got worse, not bad luck."""
    rng = random.Random(seed)
    value = "".join(rng.choice(alphabet) for _ in range(length))
    assert not is_fake(value), value
    assert looks_generated(value), value


@given(words=st.lists(st.sampled_from(sorted(FAKE_WORDS - {"abc", "abcd", "abcde", "abcdef", "xyz"})),
                      min_size=1, max_size=3),
       sep=st.sampled_from(["-", "_", ".", ""]), counter=st.sampled_from(["", "1", "12", "123", "12345", "2024"]))
def test_example_words_and_counters_are_fake(words: list[str], sep: str, counter: str) -> None:
    """Glued together, only words of four letters or more are recognised (`bar` is in `Barbara`)."""
    if not sep and any(len(w) < 4 for w in words):
        sep = "-"
    value = sep.join(words) + (sep + counter if counter else "")
    assert is_fake(value), value


@given(st.text(max_size=300))
def test_judging_any_text_never_fails_and_material_is_bounded(text: str) -> None:
    assert 0 <= random_material(text) <= len(text)
    is_fake(text)
    is_reference(text)
    looks_generated(text)


@given(name=st.from_regex(r"[A-Z][A-Z0-9_]{0,20}", fullmatch=True),
       default=st.text(alphabet=ALNUM + "-_.", max_size=20), op=st.sampled_from([":-", "-", ":=", "="]))
def test_shell_references_give_their_default(name: str, default: str, op: str) -> None:
    value = "${" + name + op + default + "}"
    assert is_reference(value)
    assert shell_default(value) == default
    assert shell_default("${" + name + "}") is None


@pytest.mark.parametrize("value", [
    'os.environ["SUPABASE_SERVICE_KEY"]', "process.env.STRIPE_SECRET_KEY", "${{ secrets.SUPABASE_KEY }}",
    "settings.SECRET_KEY", "SUPABASE_SERVICE_KEY", "{{ vault_db_password }}", "$DB_PASSWORD",
    "import.meta.env.VITE_KEY", "arn:aws:secretsmanager:eu-west-1:123:secret:db", "op://vault/item/password",
])
def test_references_name_where_a_secret_comes_from(value: str) -> None:
    assert is_reference(value)


def test_plain_values_are_not_references() -> None:
    assert not is_reference("xKq29fjQ0ad9LmP3")
    assert not is_reference("Storm$Roof#2024")


def test_hosts_and_local_defaults() -> None:
    assert is_local_host("127.0.0.1") and is_local_host("localhost") and is_local_host("::1")
    assert not is_local_host("db.prod.internal")
    assert is_example_host("db.example.com") and is_example_host("your-db-host") and is_example_host("api.test")
    assert not is_example_host("db-prod.roofs.net")
    assert is_dev_password("postgres") and is_dev_password("crm", user="crm") and is_dev_password("${PW}")
    assert not is_dev_password("Kq8x!stormRoof")
    assert is_placeholder("your-anon-public-key") and not is_placeholder("Kq8x!stormRoof")
