"""External data: the file parts of a `multipart/form-data` request, each a temporary table
for the one query (ClickHouse's ExternalTablesHandler).

A part named `t` becomes table `t`, read in the format `t_format` (default TabSeparated), with
the columns of `t_structure` (`a UInt32, b String`) or `t_types` (`UInt32,String`, columns
`_1`, `_2`, …). As in ClickHouse, these three parameters may come from the URL or the form, and
in a multipart request they are not settings. The engine has no per-query tables, so each one
is a `Memory` temporary table on the request's connection, filled with the part's bytes
through the engine's streaming insert; a session's connection drops them after the query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from clickhouse_server import errors, query_log
from clickhouse_server.engine import Connection
from clickhouse_server.form_body import FilePart
from clickhouse_server.query_settings import SettingsCatalog

_SUFFIXES = ("_format", "_types", "_structure")
DEFAULT_FORMAT = "TabSeparated"


@dataclass(frozen=True)
class ExternalTable:
    name: str
    structure: str
    data_format: str
    data: bytes


def _quote(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def split_params(
    items: Iterable[tuple[str, str]], files: list[FilePart], catalog: SettingsCatalog
) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Take the external tables' parameters out of a multipart request's parameters.

    ClickHouse skips every parameter ending in `_format`, `_types` or `_structure` in a
    multipart request; here a real setting of that name (`date_time_input_format`) is kept
    unless a file part claims it, so clients that send such settings keep working.
    """
    names = {part.name for part in files}
    rest: list[tuple[str, str]] = []
    taken: dict[str, str] = {}
    for name, value in items:
        suffix = next((s for s in _SUFFIXES if name.endswith(s)), None)
        owner = name[: -len(suffix)] if suffix else None
        if suffix and (owner in names or not catalog.is_known(name)):
            taken[name] = value
        else:
            rest.append((name, value))
    return rest, taken


def tables(files: list[FilePart], params: dict[str, str]) -> list[ExternalTable]:
    """The external tables of the request, with ClickHouse's errors for a missing structure."""
    out = []
    for part in files:
        structure = params.get(f"{part.name}_structure")
        types = params.get(f"{part.name}_types")
        if not structure and types:
            structure = ", ".join(
                f"_{i} {t.strip()}" for i, t in enumerate(types.split(","), start=1)
            )
        if not structure:
            raise errors.ClickHouseError(
                errors.BAD_ARGUMENTS,
                f"Neither structure nor types have not been provided for external table "
                f"{part.name}. Use fields {part.name}_structure or {part.name}_types to do so.",
            )
        data_format = params.get(f"{part.name}_format") or DEFAULT_FORMAT
        out.append(ExternalTable(part.name, structure, data_format, part.data))
    return out


def create(connection: Connection, external: list[ExternalTable]) -> None:
    """Create and fill the temporary tables (labelled as the server's own statements)."""
    for table in external:
        connection.execute(
            query_log.internal(
                f"CREATE TEMPORARY TABLE {_quote(table.name)} ({table.structure}) ENGINE = Memory"
            )
        )
        inserter = connection.insert(
            query_log.internal(f"INSERT INTO {_quote(table.name)}"), table.data_format
        )
        if table.data:
            inserter.append(table.data)
        inserter.finish()


def drop(connection: Connection, external: list[ExternalTable]) -> None:
    for table in external:
        connection.execute(
            query_log.internal(f"DROP TEMPORARY TABLE IF EXISTS {_quote(table.name)}")
        )
