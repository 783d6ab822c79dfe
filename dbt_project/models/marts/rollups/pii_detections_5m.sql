{{
    config(
        incremental_strategy='insert_overwrite',
        order_by='(bucket_start, project_id, log_type, entity)',
        partition_by=rollup_partition(),
    )
}}

-- pii_entities hold entity type names (EMAIL_ADDRESS, ...), never the values found: safe.
with

inferences as (

    select
        'inference' as log_type,
        project_id,
        pii_entities,
        sample_weight,
        loaded_at,
        {{ bucket_5m('started_at') }} as bucket_start
    from {{ ref('fct_inferences') }}
    where pii_detected

),

tool_executions as (

    select
        'tool_execution' as log_type,
        project_id,
        pii_entities,
        sample_weight,
        loaded_at,
        {{ bucket_5m('started_at') }} as bucket_start
    from {{ ref('fct_tool_executions') }}
    where pii_detected

),

application_logs as (

    select
        'application' as log_type,
        project_id,
        pii_entities,
        sample_weight,
        loaded_at,
        {{ bucket_5m('logged_at') }} as bucket_start
    from {{ ref('fct_application_logs') }}
    where pii_detected

),

event_loads as (

    -- every fact row: an event whose later copy has no detection leaves its bucket too
    select
        event_id,
        loaded_at,
        {{ bucket_5m('started_at') }} as bucket_start
    from {{ ref('fct_inferences') }}
    union all
    select
        event_id,
        loaded_at,
        {{ bucket_5m('started_at') }} as bucket_start
    from {{ ref('fct_tool_executions') }}
    union all
    select
        event_id,
        loaded_at,
        {{ bucket_5m('logged_at') }} as bucket_start
    from {{ ref('fct_application_logs') }}

),

detections as (

    select * from inferences
    union all
    select * from tool_executions
    union all
    select * from application_logs

),

{{ touched_bucket_ctes(
    'detections',
    log_types=['inference', 'tool_execution', 'application'],
    name='bucket_detections',
    loads_cte='event_loads',
) }},

final as (

    select
        bucket_start,
        project_id,
        log_type,
        entity,
        count() as detections,
        sum(sample_weight) as estimated_detections,
        max(loaded_at) as last_loaded_at
    from bucket_detections
    array join pii_entities as entity
    group by bucket_start, project_id, log_type, entity

)

{{ select_with_untouched_buckets('final') }}
