with

source as (

    select * from {{ source('staging', 'application_events') }}

),

latest_copies as (

    -- at-least-once delivery: the latest received copy wins (ties: the latest loaded)
    select
        event_id,
        max(received_at) as latest_received_at,
        argMax(_loaded_at, (received_at, _loaded_at)) as latest_loaded_at
    from source
    group by event_id

),

latest as (

    -- a join rather than a sort of whole rows: a filter on event_id reaches both sides
    select source.*
    from source
    inner join latest_copies
        on
            source.event_id = latest_copies.event_id
            and source.received_at = latest_copies.latest_received_at
            and source._loaded_at = latest_copies.latest_loaded_at
    -- identical copies (same receipt, same load) count once (LIMIT BY: any one will do)
    limit 1 by source.event_id  -- noqa: AM09

),

renamed as (

    select
        -- ids
        event_id,
        project_id,
        request_id,
        trace_id,
        span_id,
        conversation_id,
        session_id,
        {{ pseudonymise('user_id') }} as user_pseudo_id,

        -- strings
        service,
        environment,
        sdk_name,
        sdk_version,
        level,
        logger,
        {{ redact_pii('message') }} as message,
        exception_type,
        {{ redact_pii('exception_message') }} as exception_message,
        pii_entities,
        _object_key as object_key,

        -- numerics
        schema_version,

        -- booleans
        cast(level in ('error', 'critical') as Bool) as is_error,
        pii_detected,

        -- timestamps
        started_at as logged_at,
        received_at,
        _loaded_at as loaded_at

    from latest

)

select * from renamed
