{#- The PII patterns the marts must never contain, as RE2 regexes with the placeholder each is
    replaced by (the ingest API's Presidio entity names). Order matters: cards before phones,
    so a card number is not half-eaten by the phone pattern. One list for redact_pii and the
    no-PII test, so the two can never disagree. Card numbers start with 3-6 (the card networks'
    ranges): without that, millisecond timestamps and ids with long digit runs look like cards. -#}
{% macro pii_patterns() %}
    {{ return([
        ('EMAIL_ADDRESS', '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}'),
        ('CREDIT_CARD', '\\b[3-6](?:\\d[ -]?){11,17}\\d\\b'),
        ('US_SSN', '\\b\\d{3}-\\d{2}-\\d{4}\\b'),
        ('PHONE_NUMBER', '(?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{2,4}\\)[ .-]?|\\b\\d{2,4}[ .-])\\d{3,4}[ .-]\\d{3,4}\\b|\\+\\d{8,15}\\b'),
    ]) }}
{% endmacro %}


{#- One regex matching any PII pattern (for tests). -#}
{% macro pii_regex() %}
    {%- set parts = [] -%}
    {%- for _, pattern in pii_patterns() -%}
        {%- do parts.append('(?:' ~ pattern ~ ')') -%}
    {%- endfor -%}
    {{ return(parts | join('|')) }}
{% endmacro %}


{#- `text` escaped to sit between single quotes in ClickHouse SQL (backslash escapes). -#}
{% macro sql_string_body(text) %}
    {{ return(text | replace('\\', '\\\\') | replace("'", "\\'")) }}
{% endmacro %}
