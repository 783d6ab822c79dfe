{#- The `loaded_since_cutoff` and `<name>` CTEs of a fact: on an incremental run, every event
    of `log_type` with a copy loaded since the lookback cutoff whose newest copy (receipt, then
    object key: the staging dedupe's order) is not the one the fact already holds (new, late and
    retried events; a replay of the copy already in the fact changes nothing and is skipped, so
    it touches no rollup bucket), read from `staging_model`
    and so re-deduped over all its copies; on a full build, every event. The fact replaces
    each event's row (delete+insert on event_id). The watermark is `newest_value` by the
    fact's leading sort key: no full read of `loaded_at`. -#}
{% macro loaded_event_ctes(staging_model, log_type, name) %}
{#- referenced outside the incremental branch, so dbt sees the dependency on a full parse -#}
{%- set event_loads = ref('stg_event_loads') -%}
{% if is_incremental() %}
    loads_since_cutoff as materialized (

        -- the newest copy of each event with a copy loaded since the cutoff
        select
            event_id,
            max(received_at) as newest_received_at,
            argMax(object_key, (received_at, object_key)) as newest_object_key
        from {{ event_loads }}
        where
            log_type = '{{ log_type }}'
            and loaded_at >= {{ lookback_cutoff('loaded_at', leading_sort_key()) }}
        group by event_id

    ),

    held_receipts as (

        -- the copy the fact holds for each of those events
        select
            event_id,
            received_at,
            object_key
        from {{ this }}
        where event_id in (select event_id from loads_since_cutoff)  -- noqa: RF02

    ),

    loaded_since_cutoff as (

        -- a copy the fact holds already is not read again; a retry in a greater object is
        -- (a rebuild's dedupe would pick it, so the fact must too)
        select loads_since_cutoff.event_id
        from loads_since_cutoff
        left anti join held_receipts
            on
                loads_since_cutoff.event_id = held_receipts.event_id
                and loads_since_cutoff.newest_received_at = held_receipts.received_at
                and loads_since_cutoff.newest_object_key = held_receipts.object_key

    ),
{% endif %}

{{ name }} as {% if is_incremental() %}materialized {% endif %}(

    select * from {{ ref(staging_model) }}
    {% if is_incremental() %}
        -- each re-deduped over all its copies, then replacing its row (delete+insert)
        where event_id in (select event_id from loaded_since_cutoff)
    {% endif %}

)
{%- endmacro %}
