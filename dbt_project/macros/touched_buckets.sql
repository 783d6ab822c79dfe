{#- The `touched_buckets` and `<name>` CTEs of a rollup: on an incremental run, the whole
    5-minute buckets a changed event is in now or was in before, however old, so every
    aggregate (exact quantiles included) is recomputed from all its rows; on a full build,
    every row of `source_cte`.

    Changed events are the fact rows loaded since the lookback cutoff, read from `loads_cte`
    (event_id, loaded_at, bucket_start: the unfiltered fact, when `source_cte` keeps only some
    rows, e.g. errors) or else `source_cte`. A later copy may move an event to another bucket
    (another `started_at`), so the buckets of every staged copy of a changed event
    (`stg_event_loads` of `log_types`) are touched too: its old bucket loses it, its new one
    gains it. `time_column` (the column `bucket_start` is computed from) bounds the fact scan to
    the touched buckets' time range (primary-key pruning). -#}
{% macro touched_bucket_ctes(source_cte, log_types, name='bucket_events', time_column=none, loads_cte=none) %}
{#- referenced outside the incremental branch, so dbt sees the dependency on a full parse -#}
{%- set event_loads = ref('stg_event_loads') -%}
{% if is_incremental() %}
    changed_events as materialized (

        select event_id, bucket_start from {{ loads_cte or source_cte }}
        where loaded_at >= {{ lookback_cutoff('last_loaded_at', leading_sort_key()) }}

    ),

    touched_buckets as materialized (

        -- where each changed event is now, and every bucket a copy of it ever put it in
        select bucket_start from changed_events
        union distinct
        select {{ bucket_5m('started_at') }} as bucket_start from {{ event_loads }}
        where
            log_type in ('{{ log_types | join("', '") }}')
            and event_id in (select event_id from changed_events)  -- noqa: RF02

    ),
{% endif %}

{{ name }} as (

    select * from {{ source_cte }}
    {% if is_incremental() %}
        where
            bucket_start in (select bucket_start from touched_buckets)  -- noqa: RF02
            {% if time_column %}
                and {{ time_column }} >= (select min(bucket_start) from touched_buckets)  -- noqa: RF02
                and {{ time_column }}
                < (select max(bucket_start) + toIntervalMinute(5) from touched_buckets)  -- noqa: RF02
            {% endif %}
    {% endif %}

)
{% endmacro %}


{#- A rollup's final select under `insert_overwrite`: the rebuilt buckets and, on an
    incremental run, the rows the rollup already holds for the other buckets of the days the
    touched buckets fall in, so each replaced day partition is whole. dbt-clickhouse swaps each
    day in with `REPLACE PARTITION`: a reader sees the day before or after, never without the
    batch (delete+insert had a window between its DELETE and its INSERT). -#}
{% macro select_with_untouched_buckets(final_cte) %}
select * from {{ final_cte }}
{% if is_incremental() %}
    union all
    select * from {{ this }}
    where
        {{ rollup_partition() }} in (
            select {{ rollup_partition() }} from touched_buckets  -- noqa: RF02
        )
        and bucket_start not in (select bucket_start from touched_buckets)  -- noqa: RF02
{% endif %}
{% endmacro %}
