{#- The lower bound of what an incremental run re-reads: the newest `column` already in the
    model, minus the late-data lookback. -#}
{% macro lookback_cutoff(column) %}
    (select max({{ column }}) - toIntervalHour({{ var('late_data_lookback_hours') | int }}) from {{ this }})
{% endmacro %}


{#- The start of the 5-minute bucket an event time falls in (UTC). -#}
{% macro bucket_5m(column) %}
    toDateTime(toStartOfFiveMinutes({{ column }}), 'UTC')
{% endmacro %}
