{{
    config(
        incremental_strategy='insert_overwrite',
        order_by='(bucket_start, project_id, service, level)',
        partition_by=rollup_partition(),
    )
}}

with

application_logs as (

    select
        *,
        {{ bucket_5m('logged_at') }} as bucket_start
    from {{ ref('fct_application_logs') }}

),

{{ touched_bucket_ctes(
    'application_logs', log_types=['application'], name='bucket_records', time_column='logged_at'
) }},

final as (

    select
        bucket_start,
        project_id,
        service,
        level,
        count() as records,
        sum(sample_weight) as estimated_records,
        max(loaded_at) as last_loaded_at
    from bucket_records
    group by bucket_start, project_id, service, level

)

{{ select_with_untouched_buckets('final') }}
