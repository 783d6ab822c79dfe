-- Every event of the facts' latest loads (the last hour before each fact's newest load) has
-- exactly one row in its fact: the guarantee of the facts' full `unique` tests (tag full_scan,
-- scheduled), kept after every load at the cost of the batch, not of history. A duplicate left
-- by an incremental run has a fresh `loaded_at`, so the window finds it.
-- In Dagster an asset check of fct_inferences (a test over several models needs one to hang on).
{{ config(meta={'dagster': {'ref': {'name': 'fct_inferences'}}}) }}
{% set facts = ['fct_inferences', 'fct_tool_executions', 'fct_application_logs', 'fct_scores'] %}

with

{% for fact in facts %}
{{ fact }}_recent as (

    select event_id from {{ ref(fact) }}
    where
        loaded_at
        >= {{ newest_value(ref(fact), 'loaded_at', leading_sort_key(fact)) }} - toIntervalHour(1)

),

{{ fact }}_repeated as (

    select
        '{{ fact }}' as fact,
        event_id,
        count() as row_count
    from {{ ref(fact) }}
    where event_id in (select event_id from {{ fact }}_recent)  -- noqa: RF02
    group by event_id
    having row_count > 1

),

{% endfor %}

repeated as (

    {% for fact in facts %}
        select * from {{ fact }}_repeated
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from repeated
