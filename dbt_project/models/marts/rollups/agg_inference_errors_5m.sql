{{
    config(
        incremental_strategy='insert_overwrite',
        order_by='(bucket_start, project_id, service, provider, model, error_code)',
        partition_by=rollup_partition(),
    )
}}

-- Small enough for "top error codes" over any window without scanning fct_inferences.
with

inference_loads as (

    -- every fact row: an event whose later copy cleared its error code leaves its bucket too
    select
        event_id,
        loaded_at,
        {{ bucket_5m('started_at') }} as bucket_start
    from {{ ref('fct_inferences') }}

),

failed_inferences as (

    select
        project_id,
        service,
        provider,
        model,
        error_code,
        sample_weight,
        loaded_at,
        started_at,
        {{ bucket_5m('started_at') }} as bucket_start
    from {{ ref('fct_inferences') }}
    where error_code is not null and error_code != ''

),

{{ touched_bucket_ctes(
    'failed_inferences', log_types=['inference'], time_column='started_at', loads_cte='inference_loads'
) }},

final as (

    select
        bucket_start,
        project_id,
        service,
        provider,
        model,
        assumeNotNull(error_code) as error_code,
        count() as errors,
        sum(sample_weight) as estimated_errors,
        max(loaded_at) as last_loaded_at
    from bucket_events
    group by bucket_start, project_id, service, provider, model, error_code

)

{{ select_with_untouched_buckets('final') }}
