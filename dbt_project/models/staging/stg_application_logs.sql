with

source as (

    select
        *,
        -- a trace()/span() block of the SDK: its kind (trace, span, agent, ...) and outcome,
        -- read here while metadata is still a map
        if(logger = 'ollive.span', metadata['ollive.span.kind'], null) as span_kind,
        if(logger = 'ollive.span', metadata['ollive.span.status'], null) as span_status
    from {{ source('staging', 'application_events') }}

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
        parent_span_id,
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
        {{ redact_pii_map_as_json('metadata') }} as metadata,
        span_kind,
        span_status,
        pii_entities,
        _object_key as object_key,

        -- numerics
        -- rows loaded before the contract carried the rate were never sampled
        coalesce(sample_rate, 1) as sample_rate,
        1 / coalesce(sample_rate, 1) as sample_weight,
        schema_version,

        -- booleans
        cast(level in ('error', 'critical') as Bool) as is_error,
        cast(logger = 'ollive.span' as Bool) as is_span,
        pii_detected,

        -- timestamps
        started_at as logged_at,
        finished_at,
        received_at,
        _loaded_at as loaded_at

    from latest

)

select * from renamed
