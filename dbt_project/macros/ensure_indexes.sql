{#
    Post-hook of the facts (dbt_project.yml): give an existing table the skip indexes of its
    `indexes` config. dbt-clickhouse adds them only to a table it creates, so a table built
    before an index was configured would never get it; `ADD INDEX` alone indexes only new
    parts, so the index is then built for the old ones too (`MATERIALIZE INDEX`, once: an
    index already there runs nothing).
#}
{% macro ensure_indexes() %}
    {%- if execute and config.get('materialized') in ['table', 'incremental'] -%}
        {%- set found = [] -%}
        {%- for row in run_query(
            "select name from system.data_skipping_indices where database = '" ~ this.schema
            ~ "' and table = '" ~ this.identifier ~ "'"
        ).rows -%}
            {%- do found.append(row[0]) -%}
        {%- endfor -%}
        {%- for index in config.get('indexes', default=[]) if index.get('name') not in found -%}
            {%- do run_query(
                'alter table ' ~ this ~ ' ' ~ on_cluster_clause(this)
                ~ ' add index if not exists ' ~ index.get('name') ~ ' ' ~ index.get('definition')
            ) -%}
            {%- do run_query(
                'alter table ' ~ this ~ ' ' ~ on_cluster_clause(this)
                ~ ' materialize index ' ~ index.get('name')
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
