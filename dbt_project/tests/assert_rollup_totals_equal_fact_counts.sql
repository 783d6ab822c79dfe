-- reads whole marts: run by the scheduled full tests, not after every load
{{ config(tags=['full_scan']) }}

-- Every event counts exactly once in the rollups: each rollup's total equals its fact's count,
-- and its sampling-weighted estimate the sum of the facts' weights.
with

checks as (

    select
        'agg_inference_5m' as rollup_name,
        (select sum(requests) from {{ ref('agg_inference_5m') }}) as rollup_total,
        (select count() from {{ ref('fct_inferences') }}) as fact_total

    union all

    select
        'agg_tool_5m' as rollup_name,
        (select sum(calls) from {{ ref('agg_tool_5m') }}) as rollup_total,
        (select count() from {{ ref('fct_tool_executions') }}) as fact_total

    union all

    select
        'agg_application_5m' as rollup_name,
        (select sum(records) from {{ ref('agg_application_5m') }}) as rollup_total,
        (select count() from {{ ref('fct_application_logs') }}) as fact_total

    union all

    select
        'agg_inference_errors_5m' as rollup_name,
        (select sum(errors) from {{ ref('agg_inference_errors_5m') }}) as rollup_total,
        (
            select count() from {{ ref('fct_inferences') }}
            where error_code is not null and error_code != ''
        ) as fact_total

    union all

    select
        'agg_scores_5m' as rollup_name,
        (select sum(scores) from {{ ref('agg_scores_5m') }}) as rollup_total,
        (select count() from {{ ref('fct_scores') }}) as fact_total

    union all

    select
        'pii_detections_5m' as rollup_name,
        (select sum(detections) from {{ ref('pii_detections_5m') }}) as rollup_total,
        (
            select sum(length(pii_entities)) from {{ ref('fct_inferences') }}
            where pii_detected
        )
        + (
            select sum(length(pii_entities)) from {{ ref('fct_tool_executions') }}
            where pii_detected
        )
        + (
            select sum(length(pii_entities)) from {{ ref('fct_application_logs') }}
            where pii_detected
        ) as fact_total

),

weighted_checks as (

    -- the sampling-weighted estimates add up to the facts' weights too
    select
        'agg_inference_5m.estimated_requests' as rollup_name,
        (select sum(estimated_requests) from {{ ref('agg_inference_5m') }}) as rollup_total,
        (select sum(sample_weight) from {{ ref('fct_inferences') }}) as fact_total

    union all

    select
        'agg_inference_5m.estimated_cost_usd' as rollup_name,
        (select sum(estimated_cost_usd) from {{ ref('agg_inference_5m') }}) as rollup_total,
        (select sum(cost_usd * sample_weight) from {{ ref('fct_inferences') }}) as fact_total

    union all

    select
        'agg_tool_5m.estimated_calls' as rollup_name,
        (select sum(estimated_calls) from {{ ref('agg_tool_5m') }}) as rollup_total,
        (select sum(sample_weight) from {{ ref('fct_tool_executions') }}) as fact_total

    union all

    select
        'agg_application_5m.estimated_records' as rollup_name,
        (select sum(estimated_records) from {{ ref('agg_application_5m') }}) as rollup_total,
        (select sum(sample_weight) from {{ ref('fct_application_logs') }}) as fact_total

),

mismatches as (

    select
        rollup_name,
        toFloat64(rollup_total) as rollup_total,
        toFloat64(fact_total) as fact_total
    from checks
    where coalesce(rollup_total, 0) != coalesce(fact_total, 0)

    union all

    -- float sums in another order: equal within a relative 1e-9
    select * from weighted_checks
    where
        abs(coalesce(rollup_total, 0) - coalesce(fact_total, 0))
        > 1e-9 * greatest(abs(coalesce(fact_total, 0)), 1)

)

select * from mismatches
