{#- The lower bound of what an incremental run re-reads: the newest `column` already in the
    model, minus the late-data lookback. -#}
{% macro lookback_cutoff(column) %}
    {{ return(adapter.dispatch('lookback_cutoff', 'ollive')(column)) }}
{% endmacro %}


{% macro clickhouse__lookback_cutoff(column) %}
    (select max({{ column }}) - toIntervalHour({{ var('late_data_lookback_hours') | int }}) from {{ this }})
{% endmacro %}


{% macro default__lookback_cutoff(column) %}
    (select max({{ column }}) - interval '{{ var('late_data_lookback_hours') | int }} hours' from {{ this }})
{% endmacro %}


{#- The start of the 5-minute bucket an event time falls in (UTC). -#}
{% macro bucket_5m(column) %}
    {{ return(adapter.dispatch('bucket_5m', 'ollive')(column)) }}
{% endmacro %}


{% macro clickhouse__bucket_5m(column) %}
    toDateTime(toStartOfFiveMinutes({{ column }}), 'UTC')
{% endmacro %}


{% macro default__bucket_5m(column) %}
    {{ dbt.date_trunc('hour', column) }} + floor(extract(minute from {{ column }}) / 5) * interval '5 minutes'
{% endmacro %}
