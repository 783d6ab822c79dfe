-- depends_on: {{ ref('stg_event_loads') }}
{{
    config(
        unique_key='event_id',
        order_by='(started_at, event_id)',
        partition_by='toYYYYMM(started_at)',
    )
}}

with

{% if is_incremental() %}
    loaded_since_cutoff as (

        -- events with a copy loaded since the cutoff: new, late, retried and replayed alike
        select event_id from {{ ref('stg_event_loads') }}
        where
            log_type = 'tool_execution'
            and loaded_at >= {{ lookback_cutoff('loaded_at') }}

    ),
{% endif %}

tool_executions as (

    select * from {{ ref('stg_tool_executions') }}
    {% if is_incremental() %}
        -- each re-deduped over all its copies, then replacing its row (delete+insert)
        where event_id in (select event_id from loaded_since_cutoff)  -- noqa: RF02
    {% endif %}

),

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
        pii_entities,
        object_key,

        -- numerics
        latency_ms,
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
