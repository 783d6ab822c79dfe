{{
    config(
        unique_key='event_id',
        order_by='(started_at, event_id)',
        partition_by='toYYYYMM(started_at)',
    )
}}

with

{{ loaded_event_ctes('stg_tool_executions', log_type='tool_execution', name='tool_executions') }},

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
        tool_call_id,
        user_pseudo_id,

        -- strings
        service,
        environment,
        sdk_name,
        sdk_version,
        tool_name,
        status,
        error_code,
        error_message,
        arguments_preview,
        result_preview,
        metadata,
        pii_entities,
        object_key,

        -- numerics
        latency_ms,
        sample_rate,
        sample_weight,
        schema_version,

        -- booleans
        is_error,
        pii_detected,

        -- timestamps
        started_at,
        finished_at,
        received_at,
        loaded_at

    from tool_executions

)

select * from final
