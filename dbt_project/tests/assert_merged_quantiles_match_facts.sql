-- reads whole marts: run by the scheduled full tests, not after every load
{{ config(tags=['full_scan']) }}

-- A day's p50/p95/p99 merged from the rollups' t-digest states is a true quantile of that day's
-- facts within a rank error of 1% + 1/n: at most q + tol of the events lie below it and at
-- least q - tol at or below it (t-digest interpolates, so at small n it may fall between two
-- events: hence the 1/n). Checked on inference latency, inference TTFT and tool latency.
with

inference_merged as (

    select
        project_id,
        toDate(bucket_start) as event_date,
        quantilesTDigestMerge(0.5, 0.95, 0.99) (latency_state) as latency_merged,
        quantilesTDigestMerge(0.5, 0.95, 0.99) (ttft_state) as ttft_merged
    from {{ ref('agg_inference_5m') }}
    group by project_id, event_date

),

tool_merged as (

    select
        project_id,
        toDate(bucket_start) as event_date,
        quantilesTDigestMerge(0.5, 0.95, 0.99) (latency_state) as latency_merged
    from {{ ref('agg_tool_5m') }}
    group by project_id, event_date

),

inference_observed as (

    select
        project_id,
        toDate(started_at) as event_date,
        groupArray(latency_ms) as latencies,
        groupArrayIf(assumeNotNull(ttft_ms), ttft_ms is not null) as ttfts
    from {{ ref('fct_inferences') }}
    group by project_id, event_date

),

tool_observed as (

    select
        project_id,
        toDate(started_at) as event_date,
        groupArray(latency_ms) as latencies
    from {{ ref('fct_tool_executions') }}
    group by project_id, event_date

),

compared as (

    select
        'inference latency' as measure,
        inference_merged.project_id,
        inference_merged.event_date,
        inference_merged.latency_merged as merged,
        inference_observed.latencies as observed
    from inference_merged
    inner join inference_observed
        on
            inference_merged.project_id = inference_observed.project_id
            and inference_merged.event_date = inference_observed.event_date

    union all

    select
        'inference ttft' as measure,
        inference_merged.project_id,
        inference_merged.event_date,
        inference_merged.ttft_merged as merged,
        inference_observed.ttfts as observed
    from inference_merged
    inner join inference_observed
        on
            inference_merged.project_id = inference_observed.project_id
            and inference_merged.event_date = inference_observed.event_date
    where notEmpty(inference_observed.ttfts)

    union all

    select
        'tool latency' as measure,
        tool_merged.project_id,
        tool_merged.event_date,
        tool_merged.latency_merged as merged,
        tool_observed.latencies as observed
    from tool_merged
    inner join tool_observed
        on
            tool_merged.project_id = tool_observed.project_id
            and tool_merged.event_date = tool_observed.event_date

),

per_quantile as (

    select
        measure,
        project_id,
        event_date,
        observed,
        arrayJoin([1, 2, 3]) as quantile_index,
        [0.5, 0.95, 0.99][quantile_index] as quantile_level,
        merged[quantile_index] as merged_value
    from compared

),

checked as (

    select
        measure,
        project_id,
        event_date,
        quantile_level,
        merged_value,
        length(observed) as observed_count,
        arrayCount(v -> v < merged_value, observed) / observed_count as share_below,
        arrayCount(v -> v <= merged_value, observed) / observed_count as share_at_or_below,
        0.01 + 1 / observed_count as tolerance
    from per_quantile

),

failures as (

    select * from checked
    where
        share_below > quantile_level + tolerance
        or share_at_or_below < quantile_level - tolerance

)

select * from failures
