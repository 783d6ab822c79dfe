{#- The trace view's rows, built once per load instead of at every chart query: the depth of a
    span needs every span of its trace, which a dashboard filter on one conversation cannot
    narrow inside a query, so computing it at read time walked every trace on each click. -#}
{{
    config(
        unique_key='trace_id',
        order_by='(trace_id, started_at, event_id)',
        partition_by='toYYYYMM(started_at)',
        indexes=[{
            'name': 'conversation_id_bloom',
            'definition': 'conversation_id TYPE bloom_filter GRANULARITY 1',
        }],
    )
}}

with

trace_events as (

    select * from {{ ref('int_trace_events') }}
    where trace_id != ''

),

{{ touched_key_ctes('trace_events', key='trace_id', name='touched_trace_events') }},

trees as (

    -- each span's parent within its trace; a parent outside the trace (an adopted
    -- OpenTelemetry span) is no level
    select
        trace_id,
        mapFromArrays(
            groupArrayIf(span_id, coalesce(span_id, '') != ''),
            groupArrayIf(coalesce(parent_span_id, ''), coalesce(span_id, '') != '')
        ) as parent_of,
        max(loaded_at) as trace_loaded_at
    from touched_trace_events
    group by trace_id

),

final as (

    -- noqa: disable=RF02
    -- every unqualified column is the event's: `trees` holds only trace_id, parent_of and
    -- trace_loaded_at, which are qualified where used
    select
        -- ids
        event_id,
        project_id,
        assumeNotNull(touched_trace_events.trace_id) as trace_id,  -- the key: never NULL here
        span_id,
        parent_span_id,
        conversation_id,
        session_id,

        -- strings
        event_type,
        multiIf(
            event_type = 'inference', 'model call',
            event_type = 'tool_execution', 'tool',
            event_type = 'span', 'span',
            concat('log ', status)
        ) as span_kind,
        event_name as span_name,
        service,
        status,
        input_preview,
        output_preview,
        tool_calls,

        -- numerics
        -- 1 at a root; one more per ancestor found in the trace (up to 64 levels)
        tupleElement(
            arrayFold(
                (walk, step) -> if(
                    mapContains(trees.parent_of, walk.2),
                    (toUInt32(walk.1 + 1), trees.parent_of[walk.2]),
                    walk
                ),
                range(64),
                (toUInt32(1), coalesce(parent_span_id, ''))
            ),
            1
        ) as depth,  -- noqa: RF04
        input_tokens,
        output_tokens,
        cost_usd,
        round(latency_ms, 1) as latency_ms,

        -- booleans
        is_error,

        -- timestamps
        started_at,
        finished_at,
        -- the trace's newest load: its spans are rebuilt, and expire, together
        trees.trace_loaded_at as last_loaded_at

    from touched_trace_events
    inner join trees on touched_trace_events.trace_id = trees.trace_id
    -- noqa: enable=RF02

)

select * from final
