{#
    Post-hook of every mart (dbt_project.yml): bring an existing table's TTL to the model's
    `ttl` config. dbt-clickhouse writes `ttl` only into a table it creates, so without this a
    retention change (or a first retention) would never reach a table built before it. The
    server's spelling of the current TTL is compared with the config (written in that
    spelling), so an unchanged TTL runs nothing: `MODIFY TTL` rewrites every part.
#}
{% macro apply_ttl() %}
    {%- if execute and config.get('materialized') in ['table', 'incremental'] -%}
        {%- set wanted = config.get('ttl') or '' -%}
        {%- set found = run_query(
            "select engine_full from system.tables where database = '" ~ this.schema
            ~ "' and name = '" ~ this.identifier ~ "'"
        ).rows -%}
        {%- set match = modules.re.search('\\bTTL (.*?)(?: SETTINGS |$)', found[0][0] if found else '') -%}
        {%- set current = match.group(1) if match else '' -%}
        {%- if found and current != wanted -%}
            alter table {{ this }} {{ on_cluster_clause(this) }}
            {{ 'modify ttl ' ~ wanted if wanted else 'remove ttl' }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
