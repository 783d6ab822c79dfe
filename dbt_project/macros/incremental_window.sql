{#- The lower bound of what an incremental run re-reads: the newest `column` already in the
    model, minus the late-data lookback. The lookback only has to cover rows that became
    visible after a later load's (INSERTs of one load run commit in parallel, a few seconds
    apart), so it is minutes, not hours: what a run re-reads is bounded by the lookback's
    loads, never by history. A load older than the watermark minus the lookback is missed.
    The newest value is read as a top 1, not `max()`: on a model with a minmax index on
    `column` (the facts' `loaded_at`) ClickHouse reads only the granules that can hold it
    (`use_skip_indexes_for_top_k`, on by default) where `max()` reads the column whole; the
    outer `max` keeps `max()`'s answer on an empty model (the epoch: every load is new). -#}
{% macro lookback_cutoff(column) %}
    (
        select max(newest) - toIntervalMinute({{ var('late_data_lookback_minutes') | int }})
        from (select {{ column }} as newest from {{ this }} order by {{ column }} desc limit 1)
    )
{% endmacro %}


{#- The start of the 5-minute bucket an event time falls in (UTC). -#}
{% macro bucket_5m(column) %}
    toDateTime(toStartOfFiveMinutes({{ column }}), 'UTC')
{% endmacro %}


{#- A rollup's partition: one day of buckets. `insert_overwrite` replaces the touched days
    whole (REPLACE PARTITION, atomic per day), so a day is what a run copies at most. -#}
{% macro rollup_partition() %}toYYYYMMDD(bucket_start){% endmacro %}
