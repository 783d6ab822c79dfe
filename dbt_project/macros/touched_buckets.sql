{#- The `touched_buckets` and `<name>` CTEs of a rollup: on an incremental run, the whole
    5-minute buckets that any row loaded since the lookback cutoff falls in, however old the
    bucket, so every aggregate (exact quantiles included) is recomputed from all its rows;
    on a full build, every row of `source_cte`. `time_column` (the column `bucket_start` is
    computed from) lets the scan skip partitions older than the oldest touched bucket. -#}
{% macro touched_bucket_ctes(source_cte, name='bucket_events', time_column=none) %}
{% if is_incremental() %}
    touched_buckets as (

        select distinct bucket_start from {{ source_cte }}
        where loaded_at >= {{ lookback_cutoff('last_loaded_at') }}

    ),
{% endif %}

{{ name }} as (

    select * from {{ source_cte }}
    {% if is_incremental() %}
        where
            bucket_start in (select bucket_start from touched_buckets)  -- noqa: RF02
            {% if time_column %}
                and {{ time_column }} >= (select min(bucket_start) from touched_buckets)  -- noqa: RF02
            {% endif %}
    {% endif %}

)
{% endmacro %}
