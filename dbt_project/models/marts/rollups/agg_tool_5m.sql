{{
    config(
        incremental_strategy='insert_overwrite',
        order_by='(bucket_start, project_id, service, tool_name)',
        partition_by=rollup_partition(),
    )
}}

with

tool_executions as (

    select
        *,
        {{ bucket_5m('started_at') }} as bucket_start
    from {{ ref('fct_tool_executions') }}

),

{{ touched_bucket_ctes(
    'tool_executions', log_types=['tool_execution'], time_column='started_at'
) }},

aggregated as (

    select
        bucket_start,
        project_id,
        service,
        tool_name,
        count() as calls,
        countIf(is_error) as errors,
        errors / calls as error_rate,
        -- estimates of the true totals: each kept event stands for 1 / sample_rate events
        sum(sample_weight) as estimated_calls,
        sumIf(sample_weight, is_error) as estimated_errors,
        estimated_errors / estimated_calls as estimated_error_rate,
        quantilesExact(0.5, 0.95, 0.99) (latency_ms) as latency_quantiles,
        -- mergeable t-digest state for charts over many buckets or tools
        quantilesTDigestState(0.5, 0.95, 0.99) (latency_ms) as latency_state,
        max(loaded_at) as last_loaded_at
    from bucket_events
    group by bucket_start, project_id, service, tool_name

),

final as (

    select
        bucket_start,
        project_id,
        service,
        tool_name,
        calls,
        errors,
        error_rate,
        estimated_calls,
        estimated_errors,
        estimated_error_rate,
        latency_quantiles[1] as latency_p50_ms,
        latency_quantiles[2] as latency_p95_ms,
        latency_quantiles[3] as latency_p99_ms,
        latency_state,
        last_loaded_at
    from aggregated

)

{{ select_with_untouched_buckets('final') }}
