{#- The `latest` CTE of a staging model: one row per event_id from the `source` CTE, the latest
    received copy winning (ties: the greatest object key, then the latest loaded). At-least-once
    delivery and replays put several copies of an event in staging; every stg_ model dedupes the
    same way. An SDK retry puts the same receipt in a second object: the tie is broken by the
    object key (a name in raw/, the same on every replay) and not by the load time, which is the
    order the loader happened to read the objects in and differs on a rebuild. -#}
{% macro latest_copy_ctes(source_cte='source') %}
latest_copies as (

    -- at-least-once delivery: the latest received copy wins (ties: the greatest object key,
    -- then the latest loaded)
    select
        event_id,
        max(received_at) as latest_received_at,
        argMax(_object_key, (received_at, _object_key)) as latest_object_key,
        argMax(_loaded_at, (received_at, _object_key, _loaded_at)) as latest_loaded_at
    from {{ source_cte }}
    group by event_id

),

latest as (

    -- a join rather than a sort of whole rows: a filter on event_id reaches both sides
    select {{ source_cte }}.*
    from {{ source_cte }}
    inner join latest_copies
        on
            {{ source_cte }}.event_id = latest_copies.event_id
            and {{ source_cte }}.received_at = latest_copies.latest_received_at
            and {{ source_cte }}._object_key = latest_copies.latest_object_key
            and {{ source_cte }}._loaded_at = latest_copies.latest_loaded_at
    -- identical copies (same receipt, object and load) count once (LIMIT BY: any one will do)
    limit 1 by {{ source_cte }}.event_id

)
{% endmacro %}
