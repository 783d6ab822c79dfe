{{
    config(
        unique_key='event_id',
        order_by='(scored_at, event_id)',
        partition_by='toYYYYMM(scored_at)',
    )
}}

with

{{ loaded_event_ctes('stg_scores', log_type='score', name='scores') }},

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
        target_event_id,
        target_trace_id,
        target_conversation_id,
        user_pseudo_id,

        -- strings
        service,
        environment,
        sdk_name,
        sdk_version,
        score_name,
        data_type,
        author_kind,
        string_value,
        score_comment,
        metadata,
        target_kind,
        pii_entities,
        object_key,

        -- numerics
        numeric_value,
        schema_version,

        -- booleans
        cast(data_type = 'boolean' and numeric_value = 0 as Bool) as is_negative_boolean,
        pii_detected,

        -- timestamps
        scored_at,
        received_at,
        loaded_at

    from scores

)

select * from final
