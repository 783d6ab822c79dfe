with

source as (

    select * from {{ source('staging', 'score_events') }}

),

{{ latest_copy_ctes('source') }},

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
        target_event_id,
        target_trace_id,
        target_conversation_id,
        {{ pseudonymise('user_id') }} as user_pseudo_id,

        -- strings
        service,
        environment,
        sdk_name,
        sdk_version,
        name as score_name,
        data_type,
        author_kind,
        string_value,
        {{ redact_pii('comment') }} as score_comment,
        {{ redact_pii_map_as_json('metadata') }} as metadata,
        multiIf(
            target_event_id is not null, 'event',
            target_trace_id is not null, 'trace',
            'conversation'
        ) as target_kind,
        pii_entities,
        _object_key as object_key,

        -- numerics
        numeric_value,
        schema_version,

        -- booleans
        pii_detected,

        -- timestamps
        started_at as scored_at,
        received_at,
        _loaded_at as loaded_at

    from latest

)

select * from renamed
