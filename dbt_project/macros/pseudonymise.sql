{#- A stable pseudonym for an identifier: hex SHA-256 of salt || value, NULL stays NULL. The
    salt comes from OLLIVE_PIPELINE_USER_ID_SALT; the production target refuses the public
    default.

    `user_id` arrives already pseudonymised by the ingest API (`<key id>:<HMAC-SHA256>`, keyed
    by OLLIVE_INGEST_USER_ID_KEY; docs/reliability.md), so this is a second pseudonymisation,
    kept on purpose: the marts' `user_pseudo_id` cannot be matched to the archive's and staging's
    pseudonyms without the pipeline's salt, and reversing it needs both secrets, held by two
    different services. It is deterministic, so the marts still group per user, and objects
    archived before ingest pseudonymised (raw ids) are hashed all the same. -#}
{% macro pseudonymise(expression) %}
    {%- set salt = user_id_salt() -%}
    if(isNull({{ expression }}), null, lower(hex(SHA256(concat('{{ salt }}', assumeNotNull({{ expression }}))))))
{% endmacro %}


{% macro user_id_salt() %}
    {%- set salt = var('user_id_salt') -%}
    {%- if target.name == 'production' and salt in ('', 'ollive-local-dev-salt') -%}
        {{ exceptions.raise_compiler_error(
            'OLLIVE_PIPELINE_USER_ID_SALT must be set to a secret of your own on the production '
            ~ 'target: the default salt is public, so pseudonyms made with it can be reversed.') }}
    {%- endif -%}
    {{ return(salt | replace("\\", "\\\\") | replace("'", "\\'")) }}
{% endmacro %}
