{#
    On-run-start hook (dbt_project.yml): drop the `<model>__dbt_new_data_<invocation id>` tables
    a killed run left behind. dbt-clickhouse's delete+insert and insert_overwrite strategies
    build each batch into such a table and drop it when the model is done
    (dbt/include/clickhouse/macros/materializations/incremental/incremental.sql); the name
    carries the invocation id, so a run killed mid-model leaves one that no later run drops (the
    next run drops only its own name). Only tables older than `older_than_minutes` go: another
    dbt run (by hand, beside Dagster's) may be building into a young one right now.
#}
{% macro drop_orphaned_new_data_tables(older_than_minutes) %}
    {%- if execute -%}
        {%- set pattern = '__dbt_new_data_[0-9a-f]{8}(_[0-9a-f]{4}){3}_[0-9a-f]{12}$' -%}
        {%- set leftovers = run_query(
            "select database, name from system.tables"
            ~ " where database = '" ~ target.schema ~ "'"
            ~ " and match(name, '" ~ pattern ~ "')"
            ~ " and not endsWith(name, '" ~ invocation_id | replace('-', '_') ~ "')"
            ~ " and metadata_modification_time < now() - interval "
            ~ (older_than_minutes | int) ~ " minute"
        ).rows -%}
        {%- for database, name in leftovers -%}
            {%- set relation = api.Relation.create(
                database='', schema=database, identifier=name, type='table',
                can_on_cluster=adapter.get_clickhouse_cluster_name() is not none
            ) -%}
            {{ log('dropping ' ~ relation ~ ', left by a killed dbt run', info=True) }}
            {%- do adapter.drop_relation(relation) -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
