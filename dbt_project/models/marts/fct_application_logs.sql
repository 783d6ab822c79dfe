-- depends_on: {{ ref('stg_event_loads') }}
{{
    config(
        unique_key='event_id',
        order_by='(logged_at, event_id)',
        partition_by='toYYYYMM(logged_at)',
    )
}}

with

{% if is_incremental() %}
    loaded_since_cutoff as (

        -- events with a copy loaded since the cutoff: new, late, retried and replayed alike
        select event_id from {{ ref('stg_event_loads') }}
        where
            log_type = 'application'
            and loaded_at >= {{ lookback_cutoff('loaded_at') }}

    ),
{% endif %}

application_logs as (

    select * from {{ ref('stg_application_logs') }}
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
        pii_entities,
        object_key,

        -- numerics
        schema_version,

        -- booleans
        is_error,
        pii_detected,

        -- timestamps
        logged_at,
        received_at,
        loaded_at

    from application_logs

)

select * from final
