with

source as (

    select * from {{ source('staging', 'inference_events') }}

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
        provider,
        operation,
        model,
        response_model,
        status,
        finish_reason,
        error_code,
        {{ redact_pii('error_message') }} as error_message,
        {{ redact_pii('input_preview') }} as input_preview,
        {{ redact_pii('output_preview') }} as output_preview,
        tupleElement(tool_calls, 'name') as tool_call_names,
        tupleElement(tool_calls, 'id') as tool_call_ids,
        arrayMap(
            preview -> {{ redact_pii('preview') }}, tupleElement(tool_calls, 'arguments_preview')
        ) as tool_call_arguments_previews,
        {{ redact_pii_map_as_json('metadata') }} as metadata,
        pii_entities,
        _object_key as object_key,

        -- numerics
        latency_ms,
        ttft_ms,
        input_tokens,
        output_tokens,
        cached_input_tokens,
        reasoning_tokens,
        cost_usd as producer_cost_usd,
        -- rows loaded before the contract carried the rate were never sampled
        coalesce(sample_rate, 1) as sample_rate,
        1 / coalesce(sample_rate, 1) as sample_weight,
        length(tool_calls) as count_tool_calls,
        schema_version,

        -- booleans
        stream as is_stream,
        cast(status in ('error', 'timeout') as Bool) as is_error,
        cast(status = 'cancelled' as Bool) as is_cancelled,
        pii_detected,

        -- timestamps
        started_at,
        finished_at,
        received_at,
        _loaded_at as loaded_at

    from latest

)

select * from renamed
