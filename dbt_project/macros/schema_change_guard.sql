{#
    Pre-hook of every mart (dbt_project.yml): an incremental run fails when the model's columns
    no longer match its table's, as `on_schema_change: fail` would, without its cost.
    dbt-clickhouse checks `fail` by running `SELECT * FROM (<model>) LIMIT 0`, and ClickHouse
    builds every `IN (…)` set of the model for it, so each incremental model ran its batch
    lookups twice (27.8M of the 45.7M rows a build read at 100M events of history).
    `DESCRIBE TABLE (<model>)` returns the same names and types without building the sets
    (it still evaluates scalar subqueries: the watermark, a few granules). So the marts have
    `on_schema_change: ignore` and this hook does the check.

    The fix for a failure is what dbt says for `fail`: a full refresh of the model
    (`dbt run --full-refresh -s <model>`), after which the table has the model's columns.

    DESCRIBE's scalar subqueries are not free either: for a rollup they compute its touched
    buckets, 8M rows read per build at 5,000 events/s (docs/dagster.md, "Freshness"). Its
    answer depends only on the model's SQL and the columns of the relations it reads, so a
    check that passed leaves a digest of those and of the table's own columns in the table's
    comment, and a run that finds the same digest there skips the DESCRIBE (one read of
    system.columns instead). Any change to the model, to a column it reads or to the table
    checks again.
#}
{% macro fail_on_changed_columns() %}
    {%- if execute and is_incremental() -%}
        {%- set relations = [(this.schema, this.identifier)] -%}
        {%- for node_id in model.depends_on.nodes -%}
            {%- set node = graph.nodes.get(node_id) or graph.sources.get(node_id) -%}
            {%- if node -%}
                {%- do relations.append((node.schema, node.alias or node.identifier or node.name)) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set pairs = [] -%}
        {%- for schema, name in relations -%}
            {%- do pairs.append("('" ~ schema ~ "', '" ~ name ~ "')") -%}
        {%- endfor -%}
        {%- set found = run_query(
            "select toString(cityHash64(arraySort(groupArray((database, table, position, name, type)))))"
            ~ ", (select comment from system.tables where database = '" ~ this.schema
            ~ "' and name = '" ~ this.identifier ~ "') from system.columns"
            ~ " where (database, table) in (" ~ pairs | join(', ') ~ ")"
        ).rows[0] -%}
        {%- set marker = 'ollive-schema-checked:' ~ local_md5(model.compiled_code ~ found[0]) -%}
        {%- if found[1] == marker -%}
            {{ return('') }}
        {%- endif -%}
        {%- set described = run_query('describe table (' ~ model.compiled_code ~ ')') -%}
        {%- set wanted = [] -%}
        {%- for row in described.rows -%}
            {%- do wanted.append(row[0] ~ ' ' ~ row[1]) -%}
        {%- endfor -%}
        {#- the server's spelling of each type, as DESCRIBE gives it (the adapter's columns
            drop Nullable and LowCardinality) -#}
        {%- set have = [] -%}
        {%- for row in run_query(
            "select name, type from system.columns where database = '" ~ this.schema
            ~ "' and table = '" ~ this.identifier ~ "' order by position"
        ).rows -%}
            {%- do have.append(row[0] ~ ' ' ~ row[1]) -%}
        {%- endfor -%}
        {%- set added = wanted | reject('in', have) | list -%}
        {%- set removed = have | reject('in', wanted) | list -%}
        {%- if added or removed -%}
            {%- do exceptions.raise_compiler_error(
                'The columns of ' ~ this ~ ' differ from its model: the model has '
                ~ (added | join(', ') or 'nothing more') ~ ' that the table has not, the table has '
                ~ (removed | join(', ') or 'nothing more') ~ ' that the model has not. '
                ~ 'Rebuild it with `dbt run --full-refresh -s ' ~ model.name ~ '`.'
            ) -%}
        {%- endif -%}
        alter table {{ this }} {{ on_cluster_clause(this) }} modify comment '{{ marker }}'
    {%- endif -%}
{% endmacro %}
