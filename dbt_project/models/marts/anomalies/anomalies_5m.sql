{{ config(materialized='view') }}

with

scores as (

    select * from {{ ref('anomaly_scores_5m') }}

),

flagged as (

    select
        bucket_start,
        project_id,
        service,
        provider,
        model,
        metric,
        direction,
        observed,
        baseline,
        robust_z,
        event_count,
        samples
    from scores
    where is_anomaly

)

select * from flagged
