{#- The lower bound of what an incremental run re-reads: the newest `column` already in the
    model, minus the late-data lookback. The lookback only has to cover rows that became
    visible after a later load's (INSERTs of one load run commit in parallel, a few seconds
    apart), so it is minutes, not hours: what a run re-reads is bounded by the lookback's
    loads, never by history. A load older than the watermark minus the lookback is missed. -#}
{% macro lookback_cutoff(column) %}
    (select max({{ column }}) - toIntervalMinute({{ var('late_data_lookback_minutes') | int }}) from {{ this }})
{% endmacro %}


{#- The start of the 5-minute bucket an event time falls in (UTC). -#}
{% macro bucket_5m(column) %}
    toDateTime(toStartOfFiveMinutes({{ column }}), 'UTC')
{% endmacro %}


{#- A rollup's partition: one day of buckets. `insert_overwrite` replaces the touched days
    whole (REPLACE PARTITION, atomic per day), so a day is what a run copies at most. -#}
{% macro rollup_partition() %}toYYYYMMDD(bucket_start){% endmacro %}
