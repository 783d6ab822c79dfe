with

source as (

    select * from {{ source('staging', 'tool_execution_events') }}

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
        tool_call_id,
        {{ pseudonymise('user_id') }} as user_pseudo_id,

        -- strings
        service,
        environment,
        sdk_name,
        sdk_version,
        tool_name,
        status,
        error_code,
        {{ redact_pii('error_message') }} as error_message,
        {{ redact_pii('arguments_preview') }} as arguments_preview,
        {{ redact_pii('result_preview') }} as result_preview,
        {{ redact_pii_map_as_json('metadata') }} as metadata,
        pii_entities,
        _object_key as object_key,

        -- numerics
        latency_ms,
        -- rows loaded before the contract carried the rate were never sampled
        coalesce(sample_rate, 1) as sample_rate,
        1 / coalesce(sample_rate, 1) as sample_weight,
        schema_version,

        -- booleans
        cast(status in ('error', 'timeout') as Bool) as is_error,
        pii_detected,

        -- timestamps
        started_at,
        finished_at,
        received_at,
        _loaded_at as loaded_at

    from latest

)

select * from renamed
