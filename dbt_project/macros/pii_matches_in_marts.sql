{#- One row per (model, column, value) of a mart whose text matches a PII pattern. Walks every
    model under models/marts and every String, Array(String) and Map(…String…) column it has
    (nullable ones too), so a column added later is covered without touching the test. -#}
{% macro pii_matches_in_marts() %}
    {%- set regex = sql_string_body(pii_regex()) -%}
    {%- set selects = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.package_name == project_name
            and 'marts' in node.fqn -%}
            {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) -%}
            {%- if relation is not none -%}
                {%- for column in adapter.get_columns_in_relation(relation) -%}
                    {%- set data_type = column.data_type -%}
                    {%- if data_type.startswith('Array(') and 'String' in data_type -%}
                        {%- do selects.append(
                            "select '" ~ node.name ~ "' as model_name, '" ~ column.name
                            ~ "' as column_name, toString(" ~ column.quoted ~ ") as value from "
                            ~ relation ~ " where arrayExists(x -> match(coalesce(x, ''), '"
                            ~ regex ~ "'), " ~ column.quoted ~ ")"
                        ) -%}
                    {%- elif data_type.startswith('Map(') and 'String' in data_type -%}
                        {%- do selects.append(
                            "select '" ~ node.name ~ "' as model_name, '" ~ column.name
                            ~ "' as column_name, toString(" ~ column.quoted ~ ") as value from "
                            ~ relation ~ " where arrayExists(x -> match(toString(x), '"
                            ~ regex ~ "'), arrayConcat(arrayMap(k -> toString(k), mapKeys("
                            ~ column.quoted ~ ")), arrayMap(v -> toString(v), mapValues("
                            ~ column.quoted ~ "))))"
                        ) -%}
                    {%- elif 'String' in data_type -%}
                        {%- do selects.append(
                            "select '" ~ node.name ~ "' as model_name, '" ~ column.name
                            ~ "' as column_name, toString(" ~ column.quoted ~ ") as value from "
                            ~ relation ~ " where match(coalesce(" ~ column.quoted ~ ", ''), '"
                            ~ regex ~ "')"
                        ) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if selects -%}
        {{ selects | join('\nunion all\n') }}
    {%- else -%}
        select '' as model_name, '' as column_name, '' as value where false
    {%- endif -%}
{% endmacro %}
