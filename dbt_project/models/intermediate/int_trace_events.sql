-- The facts' events in one shape, for the models that follow a trace or a conversation across
-- log types: model calls, tool runs, SDK span blocks and the other log records.
with

inferences as (

    select
        event_id,
        project_id,
        trace_id,
        span_id,
        parent_span_id,
        conversation_id,
        session_id,
        user_pseudo_id,
        'inference' as event_type,
        toString(model) as event_name,
        toString(service) as service,
        toString(status) as status,
        input_preview,
        output_preview,
        arrayStringConcat(tool_call_names, ', ') as tool_calls,
        latency_ms,
        input_tokens,
        output_tokens,
        cost_usd,
        sample_weight,
        is_error,
        started_at,
        coalesce(
            finished_at, started_at + toIntervalMillisecond(toInt64(coalesce(latency_ms, 0)))
        ) as finished_at,
        loaded_at
    from {{ ref('fct_inferences') }}

),

tool_executions as (

    select
        event_id,
        project_id,
        trace_id,
        span_id,
        parent_span_id,
        conversation_id,
        session_id,
        user_pseudo_id,
        'tool_execution' as event_type,
        toString(tool_name) as event_name,
        toString(service) as service,
        toString(status) as status,
        arguments_preview as input_preview,
        result_preview as output_preview,
        '' as tool_calls,
        latency_ms,
        cast(null, 'Nullable(UInt64)') as input_tokens,
        cast(null, 'Nullable(UInt64)') as output_tokens,
        cast(null, 'Nullable(Float64)') as cost_usd,
        sample_weight,
        is_error,
        started_at,
        coalesce(
            finished_at, started_at + toIntervalMillisecond(toInt64(coalesce(latency_ms, 0)))
        ) as finished_at,
        loaded_at
    from {{ ref('fct_tool_executions') }}

),

application_logs as (

    select
        event_id,
        project_id,
        trace_id,
        span_id,
        parent_span_id,
        conversation_id,
        session_id,
        user_pseudo_id,
        if(is_span, 'span', 'log') as event_type,
        -- a span block's message is its name; a log record is named by its logger
        if(is_span, message, toString(logger)) as event_name,
        toString(service) as service,
        if(is_span, coalesce(span_status, 'ok'), toString(level)) as status,
        -- a log record's message is its input; the exception it carries, its output
        if(is_span, '', message) as input_preview,
        exception_message as output_preview,
        '' as tool_calls,
        if(
            is_span and finished_at is not null,
            toFloat64(dateDiff('millisecond', logged_at, assumeNotNull(finished_at))),
            null
        ) as latency_ms,
        cast(null, 'Nullable(UInt64)') as input_tokens,
        cast(null, 'Nullable(UInt64)') as output_tokens,
        cast(null, 'Nullable(Float64)') as cost_usd,
        sample_weight,
        is_error,
        logged_at as started_at,
        coalesce(finished_at, logged_at) as finished_at,
        loaded_at
    from {{ ref('fct_application_logs') }}

),

unioned as (

    select * from inferences
    union all
    select * from tool_executions
    union all
    select * from application_logs

)

select * from unioned
