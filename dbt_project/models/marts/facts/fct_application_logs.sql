{{
    config(
        unique_key='event_id',
        order_by='(logged_at, event_id)',
        partition_by='toYYYYMM(logged_at)',
    )
}}

with

{{ loaded_event_ctes('stg_application_logs', log_type='application', name='application_logs') }},

final as (

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
        user_pseudo_id,

        -- strings
        service,
        environment,
        sdk_name,
        sdk_version,
        level,
        logger,
        message,
        exception_type,
        exception_message,
        metadata,
        span_kind,
        span_status,
        pii_entities,
        object_key,

        -- numerics
        sample_rate,
        sample_weight,
        schema_version,

        -- booleans
        is_error,
        is_span,
        pii_detected,

        -- timestamps
        logged_at,
        finished_at,
        received_at,
        loaded_at

    from application_logs

)

select * from final
