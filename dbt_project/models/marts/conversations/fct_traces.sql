{{
    config(
        unique_key='trace_id',
        order_by='(started_at, trace_id)',
        partition_by='toYYYYMM(started_at)',
    )
}}

with

trace_events as (

    select * from {{ ref('int_trace_events') }}

),

{{ touched_key_ctes('trace_events', key='trace_id', name='touched_trace_events') }},

per_trace as (

    select
        trace_id,
        argMin(project_id, started_at) as project_id,
        argMinIf(conversation_id, started_at, conversation_id is not null) as conversation_id,
        argMinIf(session_id, started_at, session_id is not null) as session_id,
        argMinIf(user_pseudo_id, started_at, user_pseudo_id is not null) as user_pseudo_id,
        -- the spans (model calls, tool runs, SDK blocks); log records only count
        groupArrayIf(
            (
                coalesce(span_id, toString(event_id)),
                coalesce(parent_span_id, ''),
                started_at,
                event_type,
                event_name,
                service
            ),
            event_type != 'log'
        ) as spans,
        countIf(event_type != 'log') as count_spans,
        countIf(event_type = 'inference') as count_inferences,
        countIf(event_type = 'tool_execution') as count_tool_executions,
        countIf(event_type = 'log') as count_logs,
        countIf(is_error and event_type != 'log') as count_errors,
        countIf(is_error and event_type = 'log') as count_error_logs,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        sum(cost_usd) as cost_usd,
        max(sample_weight) as sample_weight,
        minIf(started_at, event_type != 'log') as trace_started_at,
        maxIf(finished_at, event_type != 'log') as trace_finished_at,
        max(loaded_at) as last_loaded_at
    from touched_trace_events
    group by trace_id
    having count_spans > 0

),

trees as (

    select
        *,
        arrayMap(span -> span.1, spans) as span_ids,
        -- a root: no parent, or a parent outside the trace (an adopted OpenTelemetry span)
        arraySort(
            span -> (span.3, span.4 != 'span'),
            arrayFilter(span -> span.2 = '' or not has(span_ids, span.2), spans)
        )[1] as root,
        mapFromArrays(
            arrayMap(span -> span.1, arrayFilter(span -> has(span_ids, span.2), spans)),
            arrayMap(span -> span.2, arrayFilter(span -> has(span_ids, span.2), spans))
        ) as parent_of
    from per_trace

),

final as (

    select
        -- ids
        assumeNotNull(trace_id) as trace_id,  -- the key: never NULL here
        project_id,
        root.1 as root_span_id,
        conversation_id,
        session_id,
        user_pseudo_id,

        -- strings
        root.6 as service,
        root.4 as root_event_type,
        root.5 as root_name,
        -- span names in start order, a block before what starts with it (the first 100)
        arraySlice(
            arrayMap(span -> span.5, arraySort(span -> (span.3, span.4 != 'span'), spans)), 1, 100
        ) as span_names,

        -- numerics
        count_spans,
        -- levels of the tree: 1 for a lone span; each span's ancestors counted up to 64
        arrayMax(
            arrayMap(
                span_id -> tupleElement(
                    arrayFold(
                        (walk, step) -> if(
                            mapContains(parent_of, walk.1), (parent_of[walk.1], walk.2 + 1), walk
                        ),
                        range(64),
                        (span_id, toUInt64(1))
                    ),
                    2
                ),
                span_ids
            )
        ) as tree_depth,
        count_inferences,
        count_tool_executions,
        count_logs,
        count_errors,
        count_error_logs,
        input_tokens,
        output_tokens,
        cost_usd,
        sample_weight,
        toFloat64(dateDiff('millisecond', trace_started_at, trace_finished_at)) as duration_ms,

        -- booleans
        cast(count_errors > 0 as Bool) as is_error,

        -- timestamps
        trace_started_at as started_at,
        trace_finished_at as finished_at,
        last_loaded_at

    from trees

)

select * from final
