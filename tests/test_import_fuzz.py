"""The import parser, fed anything, fails only with its own declared errors."""

import datetime
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.importer import ImportFailed, import_articles, parse_article_file

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

toml_scalars = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.dates(min_value=datetime.date(1, 1, 1)),
    st.floats(allow_nan=False, allow_infinity=False),
)
toml_values = st.recursive(
    toml_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(min_size=1, max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
front_keys = st.sampled_from(
    [
        "title",
        "slug",
        "standfirst",
        "publication",
        "byline",
        "language",
        "format",
        "original_url",
        "original_date",
        "date_precision",
        "period_start",
        "period_end",
        "status",
        "tags",
        "actors",
        "places",
        "permission",
        "provenance",
        "events",
        "editor_notes",
        "unknown",
    ]
)


def toml_literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        return '"' + value.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_literal(k)} = {toml_literal(v)}" for k, v in value.items()) + "}"


@FUZZ
@given(data=st.binary(max_size=400))
def test_any_bytes_parse_or_fail_with_a_declared_error(data):
    try:
        parsed = parse_article_file("fuzz.md", data)
    except ImportFailed as failure:
        assert failure.problems
        assert all(problem.message for problem in failure.problems)
    else:
        assert parsed.body.strip()


@FUZZ
@given(front=st.dictionaries(front_keys, toml_values, max_size=6), body=st.text(min_size=1, max_size=200))
def test_any_front_matter_imports_or_fails_with_a_declared_error(tmp_path, front, body):
    lines = [f"{key} = {toml_literal(value)}" for key, value in front.items()]
    path = tmp_path / "fuzz.md"
    path.write_text("+++\n" + "\n".join(lines) + "\n+++\n" + body, encoding="utf-8", errors="surrogatepass")
    try:
        import_articles(paths=[str(path)], dry_run=True)
    except ImportFailed as failure:
        assert all(problem.message for problem in failure.problems)
