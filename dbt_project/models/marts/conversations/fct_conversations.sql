{{
    config(
        unique_key='conversation_id',
        order_by='(first_activity_at, conversation_id)',
        partition_by='toYYYYMM(first_activity_at)',
    )
}}

with

trace_events as (

    select * from {{ ref('int_trace_events') }}

),

{{ touched_key_ctes('trace_events', key='conversation_id', name='conversation_events') }},

aggregated as (

    select
        -- ids
        conversation_id,
        argMin(project_id, started_at) as project_id,
        argMinIf(session_id, started_at, session_id is not null) as session_id,
        argMinIf(user_pseudo_id, started_at, user_pseudo_id is not null) as user_pseudo_id,

        -- strings
        argMin(service, started_at) as service,

        -- numerics
        -- a turn is a trace (an event outside any trace is a turn of its own)
        uniqExactIf(coalesce(trace_id, toString(event_id)), event_type != 'log') as count_turns,
        countIf(event_type = 'inference') as count_inferences,
        countIf(event_type = 'tool_execution') as count_tool_executions,
        countIf(is_error and event_type != 'log') as count_errors,
        countIf(is_error and event_type = 'log') as count_error_logs,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        sum(cost_usd) as cost_usd,
        quantileExactIf(0.5) (latency_ms, event_type = 'inference') as inference_latency_p50_ms,
        quantileExactIf(0.95) (latency_ms, event_type = 'inference') as inference_latency_p95_ms,
        sumIf(latency_ms, event_type = 'inference') as inference_latency_total_ms,
        max(sample_weight) as sample_weight,

        -- timestamps
        min(started_at) as first_activity_at,
        max(finished_at) as last_activity_at,
        max(loaded_at) as last_loaded_at

    from conversation_events
    group by conversation_id

),

final as (

    select
        -- ids
        assumeNotNull(conversation_id) as conversation_id,  -- the key: never NULL here
        project_id,
        session_id,
        user_pseudo_id,

        -- strings
        service,

        -- numerics
        count_turns,
        count_inferences,
        count_tool_executions,
        count_errors,
        count_error_logs,
        input_tokens,
        output_tokens,
        cost_usd,
        inference_latency_p50_ms,
        inference_latency_p95_ms,
        inference_latency_total_ms,
        sample_weight,
        toFloat64(dateDiff('millisecond', first_activity_at, last_activity_at)) as duration_ms,

        -- booleans
        cast(count_errors > 0 as Bool) as is_error,

        -- timestamps
        first_activity_at,
        last_activity_at,
        last_loaded_at

    from aggregated

)

select * from final
