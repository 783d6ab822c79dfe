-- Every loaded copy of every event, duplicates kept: what the incremental facts scan to find
-- the events a load touched, and the rollups for every bucket a copy put an event in (a
-- narrow read: no dedupe, no payload).
with

inference_loads as (

    select
        'inference' as log_type,
        event_id,
        project_id,
        _object_key as object_key,
        started_at,
        received_at,
        _loaded_at as loaded_at
    from {{ source('staging', 'inference_events') }}

),

tool_execution_loads as (

    select
        'tool_execution' as log_type,
        event_id,
        project_id,
        _object_key as object_key,
        started_at,
        received_at,
        _loaded_at as loaded_at
    from {{ source('staging', 'tool_execution_events') }}

),

application_loads as (

    select
        'application' as log_type,
        event_id,
        project_id,
        _object_key as object_key,
        started_at,
        received_at,
        _loaded_at as loaded_at
    from {{ source('staging', 'application_events') }}

),

score_loads as (

    select
        'score' as log_type,
        event_id,
        project_id,
        _object_key as object_key,
        started_at,
        received_at,
        _loaded_at as loaded_at
    from {{ source('staging', 'score_events') }}

),

unioned as (

    select * from inference_loads
    union all
    select * from tool_execution_loads
    union all
    select * from application_loads
    union all
    select * from score_loads

)

select * from unioned
