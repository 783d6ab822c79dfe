{#- A stable pseudonym for an identifier: hex SHA-256 of salt || value, NULL stays NULL. The
    salt comes from DBT_USER_ID_SALT; the production target refuses to run without one. -#}
{% macro pseudonymise(expression) %}
    {{ return(adapter.dispatch('pseudonymise', 'ollive')(expression, user_id_salt())) }}
{% endmacro %}


{% macro clickhouse__pseudonymise(expression, salt) %}
    if(isNull({{ expression }}), null, lower(hex(SHA256(concat('{{ salt }}', assumeNotNull({{ expression }}))))))
{% endmacro %}


{% macro default__pseudonymise(expression, salt) %}
    case when {{ expression }} is not null then {{ dbt.hash("'" ~ salt ~ "' || " ~ expression) }} end
{% endmacro %}


{% macro user_id_salt() %}
    {%- set salt = var('user_id_salt') -%}
    {%- if not salt -%}
        {%- if target.name == 'production' -%}
            {{ exceptions.raise_compiler_error('DBT_USER_ID_SALT must be set on the production target') }}
        {%- endif -%}
        {%- set salt = 'ollive-local-dev-salt' -%}
    {%- endif -%}
    {{ return(salt | replace("\\", "\\\\") | replace("'", "\\'")) }}
{% endmacro %}
