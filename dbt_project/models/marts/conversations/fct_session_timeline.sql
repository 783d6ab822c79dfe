{{
    config(
        unique_key='event_id',
        order_by='(conversation_id, started_at, event_id)',
        partition_by='toYYYYMM(started_at)',
    )
}}

with

trace_events as (

    select * from {{ ref('int_trace_events') }}

),

{{ touched_key_ctes('trace_events', key='conversation_id', name='conversation_events') }},

turns as (

    select
        *,
        -- a turn is a trace; an event outside any trace is a turn of its own
        coalesce(trace_id, toString(event_id)) as turn_key,
        min(started_at) over (partition by conversation_id, turn_key) as turn_started_at,
        min(started_at) over (partition by conversation_id) as conversation_started_at
    from conversation_events

),

final as (

    select
        -- ids
        event_id,
        project_id,
        assumeNotNull(conversation_id) as conversation_id,  -- never NULL here
        trace_id,
        span_id,
        parent_span_id,
        session_id,
        user_pseudo_id,

        -- strings
        event_type,
        event_name,
        service,
        status,

        -- numerics
        dense_rank() over (
            partition by conversation_id order by turn_started_at, turn_key
        ) as turn_number,
        row_number() over (
            partition by conversation_id order by started_at, event_id
        ) as position_in_conversation,
        toFloat64(dateDiff('millisecond', conversation_started_at, started_at))
            as offset_ms,
        latency_ms,
        input_tokens,
        output_tokens,
        cost_usd,

        -- booleans
        is_error,

        -- timestamps
        started_at,
        finished_at,
        loaded_at as last_loaded_at

    from turns

)

select * from final
