{#- The `touched_keys` and `<name>` CTEs of a model with one row per `key` (a trace, a
    conversation): on an incremental run, every key with a row loaded since the lookback
    cutoff (the newest `last_loaded_at` already in the model, minus the lookback), with all its
    rows however old, so each key is rebuilt whole; on a full build, every row of `source_cte`
    that has a key. `loads_cte` (key, loaded_at), when given, is where loads are looked for
    instead (e.g. the events and the late scores of a conversation). -#}
{% macro touched_key_ctes(source_cte, key, name, loads_cte=none) %}
{% if is_incremental() %}
    touched_keys as (

        -- `is not null` first: a model still empty (no event ever had a key) has no watermark,
        -- and the facts' minmax index on the key skips the granules without one
        select distinct {{ key }} from {{ loads_cte or source_cte }}
        where {{ key }} is not null and loaded_at >= {{ lookback_cutoff('last_loaded_at') }}

    ),
{% endif %}

{{ name }} as (

    select * from {{ source_cte }}
    where
        {{ key }} is not null
        {% if is_incremental() %}
            and {{ key }} in (select {{ key }} from touched_keys)  -- noqa: RF02
        {% endif %}

)
{% endmacro %}
