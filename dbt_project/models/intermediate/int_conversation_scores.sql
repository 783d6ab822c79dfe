-- Each score with the conversation it scores: named directly, or through the scored event or
-- trace, whichever the producer gave. Resolved whenever this runs, so a score that arrives
-- hours after its conversation, or before the events it names are loaded, joins once both are.
with

scores as (

    select * from {{ ref('fct_scores') }}

),

conversation_events as (

    select
        event_id as scored_event_id,
        trace_id,
        conversation_id
    from {{ ref('int_trace_events') }}
    where conversation_id is not null

),

trace_conversations as (

    select
        trace_id,
        any(conversation_id) as conversation_id
    from conversation_events
    where trace_id is not null
    group by trace_id

),

resolved as (

    select
        scores.event_id,
        scores.project_id,
        scores.score_name,
        scores.data_type,
        scores.author_kind,
        scores.numeric_value,
        scores.is_negative_boolean,
        scores.scored_at,
        scores.loaded_at,
        coalesce(
            scores.target_conversation_id,
            by_event.conversation_id,
            by_trace.conversation_id
        ) as conversation_id
    from scores
    left join conversation_events as by_event
        on scores.target_event_id = by_event.scored_event_id
    left join trace_conversations as by_trace
        on scores.target_trace_id = by_trace.trace_id

),

final as (

    select * from resolved
    where conversation_id is not null

)

select * from final
