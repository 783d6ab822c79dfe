with

source as (

    select * from {{ source('staging', 'application_events') }}

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
