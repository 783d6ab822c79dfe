{#
    The DELETE of delete+insert as a patch part instead of a mutation (docs/dbt.md,
    "Incremental strategy"). A classic lightweight DELETE rewrites the row mask of every part
    holding a deleted key, so a batch with one retried or replayed event pays for the whole
    merged part that event sits in: time that grows with history (0.05 s on a 1M-row fact,
    1.0 s on 100M). With `lightweight_delete_mode = 'lightweight_update'` (the marts'
    `query_settings`) ClickHouse finds the keys with a SELECT, which the skip indexes prune, and
    writes a small patch part that masks them: 0.03-0.05 s at any size. It needs the table
    settings below; on a table without them ClickHouse falls back to the classic DELETE.

    The price is on reads: until a part's patches are materialized, a read of that part also
    reads its block-number columns to apply them (a full scan of a patched 10M-row part took
    4.5x as long). ClickHouse applies patches when it merges a part, which a large old part
    seldom is, so `apply_patches` materializes them in the background once they are old enough.
#}

{#- Post-hook: give an existing table the `settings` of its config, as dbt-clickhouse writes
    them only into a table it creates; a table that has them runs nothing but this one read. -#}
{% macro ensure_table_settings() %}
    {%- if execute and config.get('materialized') in ['table', 'incremental'] -%}
        {%- set wanted = config.get('settings') or {} -%}
        {%- set found = run_query(
            "select engine_full from system.tables where database = '" ~ this.schema
            ~ "' and name = '" ~ this.identifier ~ "'"
        ).rows -%}
        {%- set engine_full = found[0][0] if found else '' -%}
        {%- set missing = [] -%}
        {%- for name, value in wanted.items() -%}
            {%- if (name ~ ' = ' ~ value) not in engine_full -%}
                {%- do missing.append(name ~ ' = ' ~ value) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if found and missing -%}
            alter table {{ this }} {{ on_cluster_clause(this) }} modify setting {{ missing | join(', ') }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{#- Post-hook: once the oldest patch part of the table is `patch_apply_after_minutes` old (var,
    default 60; 0 applies them at every build), start `APPLY PATCHES`, a mutation that rewrites
    the patched parts in the background: the build does not wait for it, and none is started
    while one is still running. So the rewrite a classic DELETE did per build happens at most
    once per interval, off the build's path. -#}
{% macro apply_patches() %}
    {%- if execute and config.get('materialized') == 'incremental' -%}
        {%- set after_minutes = var('patch_apply_after_minutes') | int -%}
        {%- set due = run_query(
            "select count() > 0 from system.parts where database = '" ~ this.schema
            ~ "' and table = '" ~ this.identifier ~ "' and active and startsWith(name, 'patch-')"
            ~ " and modification_time <= now() - toIntervalMinute(" ~ after_minutes ~ ")"
            ~ " and not exists (select 1 from system.mutations where database = '" ~ this.schema
            ~ "' and table = '" ~ this.identifier ~ "' and not is_done"
            ~ " and positionCaseInsensitive(command, 'APPLY PATCHES') > 0)"
        ).columns[0].values() -%}
        {%- if due and due[0] -%}
            alter table {{ this }} {{ on_cluster_clause(this) }} apply patches
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
