"""Malformed runner.yaml: every problem names its dotted path, its line and what was expected.

Each case is a whole (small) runner.yaml. The line the problem must point at is marked with
`# <-- here`; cases where a comment cannot sit on that line give the line explicitly.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import pytest

from atlas_assets.config.errors import RunnerConfigError
from atlas_assets.config.loader import parse_runner_config
from atlas_assets_tests.config.problems import FILE, MARK, error_of, marked_line, problems_of


def case(
    case_id: str,
    text: str,
    path: str,
    expected: tuple[str, ...],
    *,
    line: int | None = None,
    env: Mapping[str, str] | None = None,
    marks: tuple[pytest.MarkDecorator, ...] = (),
) -> object:
    """One malformed file: the single problem's path, line and message fragments."""
    return pytest.param(text, env or {}, path, line or marked_line(text), expected, id=case_id, marks=marks)


MALFORMED = [
    # --- unknown keys, at each level -------------------------------------------------------------
    case(
        "unknown-top-level-key",
        """\
        defaults:
          partitions: {start: "2026-01-01"}
        tenant:  # <-- here
          acme: {}
        """,
        "tenant",
        ("unknown key 'tenant'", "did you mean 'tenants'?", "expected one of:", "defaults", "warehouse"),
    ),
    case(
        "unknown-key-in-defaults",
        """\
        defaults:
          partitions: {start: "2026-01-01"}
          colour: blue  # <-- here
        """,
        "defaults.colour",
        ("unknown key 'colour'", "expected one of:", "partitions", "retry", "schedule"),
    ),
    case(
        "unknown-key-in-warehouse",
        """\
        warehouse:
          locaton: s3://bucket/warehouse  # <-- here
        """,
        "warehouse.locaton",
        ("unknown key 'locaton'", "did you mean 'location'?", "catalog"),
    ),
    case(
        "unknown-key-in-tenant",
        """\
        tenants:
          acme:
            sources:
              app_db:
                kind: sql
                url: sqlite:///app.db
                objects: [customers]
            region: eu-west-1  # <-- here
        """,
        "tenants.acme.region",
        ("unknown key 'region'", "expected one of:", "sources", "namespace"),
    ),
    case(
        "unknown-key-in-source",
        """\
        tenants:
          acme:
            sources:
              app_db:
                kind: sql
                url: sqlite:///app.db
                schema: public  # <-- here
                objects: [customers]
        """,
        "tenants.acme.sources.app_db.schema",
        ("unknown key 'schema'", "expected one of:", "db_schema", "url"),
    ),
    case(
        "unknown-key-in-object",
        """\
        tenants:
          acme:
            sources:
              app_db:
                kind: sql
                url: sqlite:///app.db
                objects:
                  customers:
                    primary_keys: [id]  # <-- here
        """,
        "tenants.acme.sources.app_db.objects.customers.primary_keys",
        ("unknown key 'primary_keys'", "did you mean 'primary_key'?"),
    ),
    case(
        "unknown-key-in-partitions",
        """\
        tenants:
          acme:
            sources:
              app_db:
                kind: sql
                url: sqlite:///app.db
                objects:
                  orders:
                    cursor: created_at
                    partitions:
                      start: "2026-01-01"
                      granularty: hourly  # <-- here
        """,
        "tenants.acme.sources.app_db.objects.orders.partitions.granularty",
        ("unknown key 'granularty'", "did you mean 'granularity'?", "timezone"),
    ),
    # --- wrong types and invalid values ----------------------------------------------------------
    case(
        "batch-size-not-a-number",
        """\
        defaults:
          batch_size: lots  # <-- here
        """,
        "defaults.batch_size",
        ("valid integer",),
    ),
    case(
        "owners-not-a-list",
        """\
        defaults:
          owners: data@acme.com  # <-- here
        """,
        "defaults.owners",
        ("valid list", "got text"),
    ),
    case(
        "source-not-a-mapping",
        """\
        tenants:
          acme:
            sources:
              app_db: sqlite:///app.db  # <-- here
        """,
        "tenants.acme.sources.app_db",
        ("expected a mapping of keys, got text",),
    ),
    case(
        "version-on-a-mode-that-does-not-upsert",
        """\
        defaults:
          partitions: {start: "2026-01-01"}
        tenants:
          acme:
            sources:
              app_db:
                kind: sql
                url: sqlite:///x.db
                objects:
                  orders:
                    cursor: created_at
                    version: [created_at]  # <-- here
        """,
        "tenants.acme.sources.app_db.objects.orders.version",
        ("only write mode 'upsert' compares row versions",),
    ),
    case(
        "quarantine-suffix-taken-by-tombstones",
        """\
        warehouse:
          quarantine_suffix: __tombstones  # <-- here
        """,
        "warehouse.quarantine_suffix",
        ("names every upsert table's tombstones",),
    ),
    case(
        "granularity-invalid",
        """\
        defaults:
          partitions:
            start: "2026-01-01"
            granularity: yearly  # <-- here
        """,
        "defaults.partitions.granularity",
        ("'hourly', 'daily', 'weekly' or 'monthly'",),
    ),
    case(
        "partitions-start-not-a-date",
        """\
        defaults:
          partitions:
            start: last tuesday  # <-- here
        """,
        "defaults.partitions.start",
        ("valid date",),
    ),
    case(
        "timezone-unknown",
        """\
        defaults:
          partitions:
            start: "2026-01-01"
            timezone: Mars/Olympus_Mons  # <-- here
        """,
        "defaults.partitions.timezone",
        ("unknown timezone 'Mars/Olympus_Mons'", "IANA name"),
    ),
    case(
        "cron-invalid",
        """\
        defaults:
          schedule:
            cron: every night at 3  # <-- here
        """,
        "defaults.schedule.cron",
        ("not a valid cron expression", "five fields"),
    ),
    case(
        "retry-negative",
        """\
        tenants:
          acme:
            retry:
              max_retries: -1  # <-- here
            sources:
              app_db: {kind: sql, url: "sqlite:///app.db", objects: [customers]}
        """,
        "tenants.acme.retry.max_retries",
        ("greater than or equal to 0",),
    ),
    case(
        "write-mode-unknown",
        """\
        tenants:
          acme:
            sources:
              app_db:
                kind: sql
                url: sqlite:///app.db
                objects:
                  orders:
                    write: merge  # <-- here
        """,
        "tenants.acme.sources.app_db.objects.orders.write",
        ("'partition_overwrite'", "'upsert'", "'append'", "'replace'", "'snapshot'"),
    ),
    case(
        "lookback-not-a-duration",
        """\
        defaults:
          partitions: {start: "2026-01-01"}
        tenants:
          acme:
            sources:
              app_db:
                kind: sql
                url: sqlite:///app.db
                objects:
                  orders:
                    cursor: updated_at
                    lookback: two hours  # <-- here
        """,
        "tenants.acme.sources.app_db.objects.orders.lookback",
        ("'two hours' is not a duration", "'2h'"),
    ),
    case(
        "owner-not-email-or-team",
        """\
        tenants:
          acme:
            owners: [data@acme.com, bob]  # <-- here
            sources:
              app_db: {kind: sql, url: "sqlite:///app.db", objects: [customers]}
        """,
        "tenants.acme.owners",
        ("owner 'bob'", "email address or 'team:<name>'"),
    ),
    # --- sources ---------------------------------------------------------------------------------
    case(
        "source-kind-unknown",
        """\
        tenants:
          acme:
            sources:
              app_db:
                kind: oracle  # <-- here
                url: oracle://db
                objects: [customers]
        """,
        "tenants.acme.sources.app_db.kind",
        ("unknown source kind 'oracle'", "expected one of:", "'sql'"),
    ),
    case(
        "source-kind-missing",
        """\
        tenants:
          acme:
            sources:
              app_db:  # <-- here
                url: sqlite:///app.db
                objects: [customers]
        """,
        "tenants.acme.sources.app_db.kind",
        ("required key is missing", "expected one of:", "'sql'"),
    ),
    case(
        "source-url-missing",
        """\
        tenants:
          acme:
            sources:
              app_db:  # <-- here
                kind: sql
                objects: [customers]
        """,
        "tenants.acme.sources.app_db.url",
        ("required key is missing",),
    ),
    case(
        "objects-empty",
        """\
        tenants:
          acme:
            sources:
              app_db:
                kind: sql
                url: sqlite:///app.db
                objects: {}  # <-- here
        """,
        "tenants.acme.sources.app_db.objects",
        ("is empty", "at least 1"),
    ),
    # --- objects: write modes and their requirements ---------------------------------------------
    case(
        "upsert-without-primary-key",
        """\
        defaults:
          partitions: {start: "2026-01-01"}
        tenants:
          acme:
            sources:
              app_db:
                kind: sql
                url: sqlite:///app.db
                objects:
                  customers:  # <-- here
                    cursor: updated_at
                    write: upsert
        """,
        "tenants.acme.sources.app_db.objects.customers.primary_key",
        ("write mode 'upsert' needs a 'primary_key'",),
    ),
    *(
        case(
            f"{mode.replace('_', '-')}-without-cursor",
            f"""\
            defaults:
              partitions: {{start: "2026-01-01"}}
            tenants:
              acme:
                sources:
                  app_db:
                    kind: sql
                    url: sqlite:///app.db
                    objects:
                      events:  # <-- here
                        primary_key: [id]
                        write: {mode}
            """,
            "tenants.acme.sources.app_db.objects.events.cursor",
            (f"write mode '{mode}' needs a 'cursor' column",),
        )
        for mode in ("partition_overwrite", "append", "upsert")
    ),
    case(
        "table-and-query-both-given",
        """\
        tenants:
          acme:
            sources:
              app_db:
                kind: sql
                url: sqlite:///app.db
                objects:
                  customers:
                    table: crm.customers
                    query: select * from crm.customers  # <-- here
        """,
        "tenants.acme.sources.app_db.objects.customers.query",
        ("either 'table' or 'query', not both",),
    ),
    case(
        "partitioned-without-start-anywhere",
        """\
        defaults:
          partitions: {granularity: hourly}
        tenants:
          acme:
            partitions: {timezone: Europe/Paris}
            sources:
              app_db:
                kind: sql
                url: sqlite:///app.db
                objects:
                  orders:  # <-- here
                    cursor: created_at
        """,
        "tenants.acme.sources.app_db.objects.orders.partitions.start",
        ("partitions.start is required", "defaults, the tenant, the source or the object"),
    ),
    # --- environment references ------------------------------------------------------------------
    case(
        "env-var-missing",
        """\
        tenants:
          acme:
            sources:
              app_db:
                kind: sql
                url: ${ACME_DB_URL}  # <-- here
                objects: [customers]
        """,
        "tenants.acme.sources.app_db.url",
        ("environment variable ACME_DB_URL is not set", "${ACME_DB_URL:-default}"),
    ),
    case(
        "env-var-missing-in-a-number-is-one-problem",
        """\
        defaults:
          batch_size: ${ATLAS_BATCH}  # <-- here
        """,
        "defaults.batch_size",
        ("environment variable ATLAS_BATCH is not set",),
    ),
    case(
        "env-reference-unclosed",
        """\
        warehouse:
          location: "${ATLAS_WAREHOUSE"  # <-- here
        """,
        "warehouse.location",
        ("malformed reference", "${NAME} or ${NAME:-default}"),
    ),
    case(
        "env-reference-nested",
        """\
        warehouse:
          location: "${ATLAS_WAREHOUSE:-${HOME}}"  # <-- here
        """,
        "warehouse.location",
        ("malformed reference", "do not nest"),
    ),
    # --- YAML itself -----------------------------------------------------------------------------
    case(
        "duplicate-key",
        """\
        tenants:
          acme:
            sources:
              app_db:
                kind: sql
                url: sqlite:///app.db
                objects: [customers]
                url: sqlite:///other.db  # <-- here
        """,
        "tenants.acme.sources.app_db.url",
        ("duplicate key",),
    ),
    case(
        "yaml-syntax-error",
        """\
        tenants:
          acme:
            sources:
              app_db:
                kind: sql
                objects: [customers, orders
                url: sqlite:///app.db
        """,
        "",
        ("invalid YAML", "expected ',' or ']'", "flow sequence that starts on line 6"),
        line=7,
    ),
    case(
        "yaml-tab-indentation",
        "tenants:\n\tacme: {}\n",
        "",
        ("invalid YAML", "tabs"),
        line=2,
    ),
    case("file-empty", "", "", ("the file is empty", "expected a mapping", "tenants"), line=1),
    case("file-only-comments", "# nothing here yet\n", "", ("the file is empty",), line=1),
    case(
        "file-is-a-list",
        """\
        - tenants
        - acme
        """,
        "",
        ("the document is a list", "expected a mapping", "tenants"),
        line=1,
    ),
]


@pytest.mark.parametrize(("text", "env", "path", "line", "expected"), MALFORMED)
def test_malformed_config_reports_one_problem_at_its_path_and_line(
    text: str, env: Mapping[str, str], path: str, line: int, expected: tuple[str, ...]
) -> None:
    error = error_of(text, env)
    (problem,) = error.problems
    assert (problem.path, problem.line) == (path, line)
    for fragment in expected:
        assert fragment in problem.message
    where = f"line {line}: {path}: " if path else f"line {line}: "
    assert str(error).splitlines()[1] == f"  {where}{problem.message}"


NAMED_LEVELS = {
    "tenant": (
        "tenants.{name}",
        """\
        tenants:
          {name}:  # <-- here
            sources:
              app_db: {{kind: sql, url: "sqlite:///x.db", objects: [items]}}
        """,
    ),
    "source": (
        "tenants.acme.sources.{name}",
        """\
        tenants:
          acme:
            sources:
              {name}: {{kind: sql, url: "sqlite:///x.db", objects: [items]}}  # <-- here
        """,
    ),
    "object": (
        "tenants.acme.sources.app_db.objects.{name}",
        """\
        tenants:
          acme:
            sources:
              app_db:
                kind: sql
                url: sqlite:///x.db
                objects:
                  {name}: {{}}  # <-- here
        """,
    ),
}
BAD_NAMES = {
    "upper-case": "Acme",
    "dash": "app-db",
    "leading-digit": "1st",
    "too-long": "n" * 64,
    "separator-inside": "alpha__beta",
    "trailing-underscore": "db_",
}


@pytest.mark.parametrize("level", NAMED_LEVELS)
@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_invalid_name_is_reported_at_its_key(level: str, name: str) -> None:
    path_template, yaml_template = NAMED_LEVELS[level]
    text = yaml_template.format(name=name)

    (problem,) = problems_of(text)

    assert (problem.path, problem.line) == (path_template.format(name=name), marked_line(text))
    assert f"name {name!r} must be lower-case letters, digits and underscores" in problem.message
    assert "starting with a letter, without `__` or a trailing `_` (max 63 characters" in problem.message


@pytest.mark.parametrize("level", NAMED_LEVELS)
def test_a_63_character_name_is_allowed(level: str) -> None:
    _path_template, yaml_template = NAMED_LEVELS[level]
    name = "n" * 63
    _config, specs = parse_runner_config(textwrap.dedent(yaml_template.format(name=name)), FILE, {})
    assert name in specs[0].asset_key.path


def test_three_independent_mistakes_are_three_problems_in_line_order() -> None:
    problems = problems_of(
        """\
        defaults:
          partitions: {start: "2026-01-01", timezone: Moon/Base}
        tenants:
          acme:
            sources:
              app_db:
                kind: sql
                url: ${ACME_DB_URL}
                objects:
                  orders: {cursor: created_at, colour: red}
        """
    )
    assert [(p.path, p.line) for p in problems] == [
        ("defaults.partitions.timezone", 2),
        ("tenants.acme.sources.app_db.url", 8),
        ("tenants.acme.sources.app_db.objects.orders.colour", 10),
    ]


def test_problems_from_yaml_interpolation_and_validation_are_reported_together() -> None:
    problems = problems_of(
        """\
        warehouse:
          location: .atlas/warehouse
          location: .atlas/other
          catalog: {uri: "${ATLAS_CATALOG_URI}"}
        defaults:
          retry: {max_retries: many}
        """
    )
    assert [(p.path, p.line) for p in problems] == [
        ("warehouse.location", 3),
        ("warehouse.catalog.uri", 4),
        ("defaults.retry.max_retries", 6),
    ]
    assert "duplicate key" in problems[0].message
    assert "ATLAS_CATALOG_URI" in problems[1].message


def test_a_bad_name_and_a_bad_body_are_two_problems() -> None:
    problems = problems_of(
        """\
        tenants:
          Acme:
            sources: {}
        """
    )
    assert [(p.path, p.line) for p in problems] == [("tenants.Acme", 2), ("tenants.Acme.sources", 3)]
    assert "name 'Acme'" in problems[0].message
    assert "is empty" in problems[1].message


def test_the_error_names_the_file_given_to_the_parser() -> None:
    with pytest.raises(RunnerConfigError) as caught:
        parse_runner_config("defaults: {colour: red}\n", "/etc/atlas/runner.yaml", {})
    assert caught.value.file == "/etc/atlas/runner.yaml"


def test_a_missing_start_is_reported_alongside_a_mistake_in_another_object() -> None:
    problems = problems_of(
        """\
        tenants:
          acme:
            sources:
              app_db:
                kind: sql
                url: sqlite:///app.db
                objects:
                  orders: {cursor: created_at}
                  customers: {cursor: updated_at, colour: red}
              billing:
                kind: oracle
                objects: [invoices]
          globex:
            partitions: {granularity: fortnightly}
            sources:
              crm: {kind: sql, url: "sqlite:///crm.db", objects: {leads: {cursor: created_at}}}
        """
    )
    assert [(p.path, p.line) for p in problems] == [
        ("tenants.acme.sources.app_db.objects.orders.partitions.start", 8),
        ("tenants.acme.sources.app_db.objects.customers.colour", 9),
        ("tenants.acme.sources.billing.kind", 11),
        ("tenants.globex.partitions.granularity", 14),
    ]


def test_no_inheritance_problem_is_guessed_while_defaults_are_invalid() -> None:
    problems = problems_of(
        """\
        defaults:
          partitions: {start: "not a date"}
        tenants:
          acme:
            sources:
              app_db: {kind: sql, url: "sqlite:///app.db", objects: {orders: {cursor: created_at}}}
        """
    )
    assert [p.path for p in problems] == ["defaults.partitions.start"]


def test_a_self_referencing_alias_is_a_problem_not_a_hang() -> None:
    (problem,) = problems_of(
        """\
        defaults:
          owners: &owners [data@acme.com, *owners]
        """
    )
    assert (problem.path, problem.line) == ("defaults.owners.1", 2)
    assert "alias may not refer to itself" in problem.message


def test_mistakes_inside_a_duplicated_block_are_still_reported() -> None:
    problems = problems_of(
        """\
        defaults:
          retry: {max_retries: 1}
          retry: {max_retries: -1}
        """
    )
    assert [(p.path, p.line) for p in problems] == [
        ("defaults.retry", 3),
        ("defaults.retry.max_retries", 3),
    ]


NON_SQL_SOURCES = {
    "csv": ["kind: csv", "path: .atlas/demo"],
    "rest": ["kind: rest", "base_url: https://api.example.com"],
    "stripe": ["kind: stripe", 'api_key: "${ACME_KEY}"'],
    "hubspot": ["kind: hubspot", 'access_token: "${ACME_KEY}"'],
    "salesforce": [
        "kind: salesforce",
        "username: a@acme.com",
        'password: "${ACME_KEY}"',
        'security_token: "${ACME_KEY}"',
    ],
    "google_sheets": ["kind: google_sheets", 'credentials: "${ACME_KEY}"'],
    "google_drive": ["kind: google_drive", 'credentials: "${ACME_KEY}"'],
}
NON_SQL_OBJECT_NEEDS = {"google_sheets": "spreadsheet: abc, ", "google_drive": "folder_id: abc, "}


@pytest.mark.parametrize("kind", NON_SQL_SOURCES)
@pytest.mark.parametrize("field", ["table", "query"])
def test_a_kind_that_reads_no_sql_rejects_table_and_query_naming_the_field(kind: str, field: str) -> None:
    body = "\n                ".join(NON_SQL_SOURCES[kind])
    text = f"""\
        defaults:
          partitions: {{start: "2026-01-01"}}
        tenants:
          acme:
            sources:
              src:
                {body}
                objects:
                  things: {{{NON_SQL_OBJECT_NEEDS.get(kind, "")}{field}: things}}  {MARK}
        """

    problems = problems_of(text, {"ACME_KEY": "k"})

    assert [(p.path, p.line) for p in problems] == [
        (f"tenants.acme.sources.src.objects.things.{field}", marked_line(text))
    ]
    assert f"{kind} objects" in problems[0].message
