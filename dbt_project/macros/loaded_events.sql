{#- The `loaded_since_cutoff` and `<name>` CTEs of a fact: on an incremental run, every event
    of `log_type` with a copy loaded since the lookback cutoff (new, late, retried and replayed
    alike), read from `staging_model` and so re-deduped over all its copies; on a full build,
    every event. The fact replaces each event's row (delete+insert on event_id). -#}
{% macro loaded_event_ctes(staging_model, log_type, name) %}
{#- referenced outside the incremental branch, so dbt sees the dependency on a full parse -#}
{%- set event_loads = ref('stg_event_loads') -%}
{% if is_incremental() %}
    loaded_since_cutoff as (

        -- events with a copy loaded since the cutoff: new, late, retried and replayed alike
        select event_id from {{ event_loads }}
        where
            log_type = '{{ log_type }}'
            and loaded_at >= {{ lookback_cutoff('loaded_at') }}

    ),
{% endif %}

{{ name }} as (

    select * from {{ ref(staging_model) }}
    {% if is_incremental() %}
        -- each re-deduped over all its copies, then replacing its row (delete+insert)
        where event_id in (select event_id from loaded_since_cutoff)
    {% endif %}

)
{%- endmacro %}
