{#- One row per (model, column, value) of a mart whose text matches a PII pattern. Walks every
    model under models/marts and every String, Array(String) and Map(…String…) column it has
    (nullable ones too), so a column added later is covered without touching the test.
    Skipped: the random ids the SDK or a model provider makes (W3C trace and span ids, event
    ids, tool-call ids). They carry no personal data, and hex ids match the card pattern by
    chance: a 16-hex span id is all digits and starts with 3-6 about once in 4,600 ids.
    Producer-chosen ids (conversation, session, request) are still checked. -#}
{% macro pii_matches_in_marts() %}
    {%- set regex = sql_string_body(pii_regex()) -%}
    {%- set generated_ids = [
        'event_id', 'trace_id', 'span_id', 'parent_span_id', 'root_span_id',
        'target_event_id', 'target_trace_id', 'tool_call_id', 'tool_call_ids',
    ] -%}
    {%- set selects = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.package_name == project_name
            and 'marts' in node.fqn -%}
            {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) -%}
            {%- if relation is not none -%}
                {%- for column in adapter.get_columns_in_relation(relation)
                    if column.name not in generated_ids -%}
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
