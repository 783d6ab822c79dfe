{#
    Post-hook of the facts (dbt_project.yml): give an existing table the skip indexes of its
    `indexes` config. dbt-clickhouse adds them only to a table it creates, so a fact built
    before an index was configured would never get it, and the lookups that rely on it
    (`event_id in (…)`, the `loaded_at` filters) would read the table whole. A missing index
    is added (metadata) and built for the table's existing parts (`MATERIALIZE INDEX`, a
    mutation, once); a table that has them all runs nothing but this one read of
    `system.data_skipping_indices`.
#}
{% macro ensure_indexes() %}
    {%- if execute and config.get('materialized') in ['table', 'incremental'] -%}
        {%- set wanted = config.get('indexes') or [] -%}
        {%- if wanted -%}
            {%- set have = run_query(
                "select name from system.data_skipping_indices where database = '" ~ this.schema
                ~ "' and table = '" ~ this.identifier ~ "'"
            ).columns[0].values() -%}
            {%- set missing = wanted | rejectattr('name', 'in', have) | list -%}
            {%- for index in missing -%}
                {%- do run_query(
                    'alter table ' ~ this ~ ' ' ~ on_cluster_clause(this)
                    ~ ' add index if not exists ' ~ index.name ~ ' ' ~ index.definition
                ) -%}
            {%- endfor -%}
            {%- if missing -%}
                alter table {{ this }} {{ on_cluster_clause(this) }}
                {% for index in missing -%}
                    materialize index {{ index.name }}{{ ', ' if not loop.last }}
                {%- endfor %}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
