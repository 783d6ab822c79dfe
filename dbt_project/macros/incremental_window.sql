{#- The lower bound of what an incremental run re-reads: the newest `column` already in the
    model, minus the late-data lookback. The lookback only has to cover rows that became
    visible after a later load's (INSERTs of one load run commit in parallel, a few seconds
    apart), so it is minutes, not hours: what a run re-reads is bounded by the lookback's
    loads, never by history. A load older than the watermark minus the lookback is missed.
    `newest_by`: see `newest_value`. -#}
{% macro lookback_cutoff(column, newest_by=none) %}
    ({{ newest_value(this, column, newest_by) }} - toIntervalMinute({{ var('late_data_lookback_minutes') | int }}))
{% endmacro %}


{#- `max(column)` of `relation`, as a scalar subquery. A plain `max` reads the column whole, at
    every build: a cost that grows with history. With `newest_by`, the table's leading sort
    key, it reads instead the `column` of the row that sorts last (up to now: a producer clock
    far ahead does not hold it back), which ClickHouse finds in the last granule of each part,
    and then the max only over the rows at or above it, which a minmax skip index on `column`
    finds (the facts' `loaded_at_minmax`). The result is the same: the newest row is among
    them. On a table with no such row the bound is NULL, no row passes and the result is the
    type's zero, as `max` of an empty table is: a run then re-reads everything. -#}
{% macro newest_value(relation, column, newest_by=none) -%}
    {%- if newest_by -%}
    {#- qualified: a name the table lacks must fail, not resolve to the outer query's -#}
    (
        select max(watermark.{{ column }}) from {{ relation }} as watermark
        where watermark.{{ column }} >= (
            select last_row.{{ column }} from {{ relation }} as last_row
            where last_row.{{ newest_by }} <= now64(3)
            order by last_row.{{ newest_by }} desc
            limit 1
        )
    )
    {%- else -%}
    (select max({{ column }}) from {{ relation }})
    {%- endif -%}
{%- endmacro %}


{#- The first column of a model's `order_by` config (`'(started_at, event_id)'` → `started_at`):
    the `newest_by` of `newest_value`, read from the one place each fact states it. `model_name`:
    another model of the project (from the graph, known at execution); none: the model being
    built. -#}
{% macro leading_sort_key(model_name=none) -%}
    {%- if model_name is none -%}
        {%- set order_by = config.get('order_by') -%}
    {%- elif execute -%}
        {%- set order_by = graph.nodes['model.' ~ project_name ~ '.' ~ model_name].config.order_by -%}
    {%- endif -%}
    {{- (order_by or '').strip('() ').split(',')[0].strip() -}}
{%- endmacro %}


{#- The start of the 5-minute bucket an event time falls in (UTC). -#}
{% macro bucket_5m(column) %}
    toDateTime(toStartOfFiveMinutes({{ column }}), 'UTC')
{% endmacro %}


{#- A rollup's partition: one day of buckets. `insert_overwrite` replaces the touched days
    whole (REPLACE PARTITION, atomic per day), so a day is what a run copies at most. -#}
{% macro rollup_partition() %}toYYYYMMDD(bucket_start){% endmacro %}
