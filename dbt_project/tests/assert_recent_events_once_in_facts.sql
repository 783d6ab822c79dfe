-- Every event of the facts' latest loads (the last hour before each fact's newest load) has
-- exactly one row in its fact: the guarantee of the facts' full `unique` tests (tag full_scan,
-- scheduled), kept after every load at the cost of the batch, not of history. A duplicate left
-- by an incremental run has a fresh `loaded_at`, so the window finds it.
-- In Dagster an asset check of fct_inferences (a test over several models needs one to hang on).
{{ config(meta={'dagster': {'ref': {'name': 'fct_inferences'}}}) }}
{#- each fact and its leading sort key (`newest_value`: the newest load without a full read) -#}
{% set facts = {
    'fct_inferences': 'started_at', 'fct_tool_executions': 'started_at',
    'fct_application_logs': 'logged_at', 'fct_scores': 'scored_at',
} %}

with

{% for fact, newest_by in facts.items() %}
{{ fact }}_recent as (

    select event_id from {{ ref(fact) }}
    where
        loaded_at
        >= {{ newest_value(ref(fact), 'loaded_at', newest_by) }} - toIntervalHour(1)

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
