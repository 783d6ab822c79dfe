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

conversation_scores as (

    select * from {{ ref('int_conversation_scores') }}

),

conversation_loads as (

    -- a late score touches its conversation like a late event
    select
        conversation_id,
        loaded_at
    from trace_events
    union all
    select
        conversation_id,
        loaded_at
    from conversation_scores

),

{{ touched_key_ctes(
    'trace_events', key='conversation_id', name='conversation_events',
    loads_cte='conversation_loads'
) }},

score_aggregates as (

    select
        conversation_id,
        count() as count_scores,
        toNullable(avgIf(numeric_value, data_type = 'numeric')) as mean_numeric_score,
        countIf(is_negative_boolean) as count_negative_scores,
        toNullable(max(scored_at)) as last_scored_at,
        max(loaded_at) as scores_last_loaded_at
    from conversation_scores
    {% if is_incremental() %}
        where conversation_id in (select conversation_id from touched_keys)  -- noqa: RF02
    {% endif %}
    group by conversation_id

),

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

scored as (

    -- scores that target the conversation, one of its traces or one of its events
    select
        aggregated.*,
        score_aggregates.count_scores,
        score_aggregates.mean_numeric_score,
        score_aggregates.count_negative_scores,
        score_aggregates.last_scored_at,
        -- unmatched: the type's default (1970), so the events' load wins
        greatest(
            aggregated.last_loaded_at, score_aggregates.scores_last_loaded_at
        ) as conversation_last_loaded_at
    from aggregated
    left join score_aggregates
        on aggregated.conversation_id = score_aggregates.conversation_id

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
        -- a conversation no score targets: 0, NULL
        coalesce(count_scores, 0) as count_scores,
        mean_numeric_score,
        coalesce(count_negative_scores, 0) as count_negative_scores,

        -- booleans
        cast(count_errors > 0 as Bool) as is_error,

        -- timestamps
        first_activity_at,
        last_activity_at,
        last_scored_at,
        conversation_last_loaded_at as last_loaded_at

    from scored

)

select * from final
