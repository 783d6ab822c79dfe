{#- Masks email addresses, phone, SSN and card numbers in a text expression with `<ENTITY>`
    placeholders: defence in depth behind the ingest API's Presidio redaction. -#}
{% macro redact_pii(expression) %}
    {%- set ns = namespace(sql=expression) -%}
    {%- for entity, pattern in pii_patterns() -%}
        {%- set ns.sql = "replaceRegexpAll(" ~ ns.sql ~ ", '" ~ sql_string_body(pattern) ~ "', '<" ~ entity ~ ">')" -%}
    {%- endfor -%}
    {{ ns.sql }}
{% endmacro %}


{#- A Map(String, String) (the events' `metadata`) as a JSON object string, keys and values
    masked like any free text: one String column that Superset shows and filters as text, and
    ClickHouse reads with JSONExtractString(metadata, 'key'). -#}
{% macro redact_pii_map_as_json(expression) %}
    {#- toJSONString writes `/` as `\/` (valid JSON, but not what a person reads in a chart) -#}
    replaceAll(
        toJSONString(mapApply((k, v) -> ({{ redact_pii('k') }}, {{ redact_pii('v') }}), {{ expression }})),
        '\\/', '/'
    )
{% endmacro %}
