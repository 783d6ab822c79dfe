-- Every event counts exactly once in the rollups: each rollup's total equals its fact's count.
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

mismatches as (

    select * from checks
    where coalesce(rollup_total, 0) != coalesce(fact_total, 0)

)

select * from mismatches
