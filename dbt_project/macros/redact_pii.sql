{#- Masks email addresses, phone, SSN and card numbers in a text expression with `<ENTITY>`
    placeholders: defence in depth behind the ingest API's Presidio redaction. -#}
{% macro redact_pii(expression) %}
    {%- set ns = namespace(sql=expression) -%}
    {%- for entity, pattern in pii_patterns() -%}
        {%- set ns.sql = "replaceRegexpAll(" ~ ns.sql ~ ", '" ~ sql_string_body(pattern) ~ "', '<" ~ entity ~ ">')" -%}
    {%- endfor -%}
    {{ ns.sql }}
{% endmacro %}
