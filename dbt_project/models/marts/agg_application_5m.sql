{{
    config(
        unique_key='bucket_start',
        order_by='(bucket_start, project_id, service, level)',
        partition_by='toYYYYMM(bucket_start)',
    )
}}

with

application_logs as (

    select
        *,
        {{ bucket_5m('logged_at') }} as bucket_start
    from {{ ref('fct_application_logs') }}

),

{% if is_incremental() %}
    touched_buckets as (

        -- every bucket a record loaded since the cutoff falls in, however old the bucket
        select distinct bucket_start from application_logs
        where loaded_at >= {{ lookback_cutoff('last_loaded_at') }}

    ),
{% endif %}

bucket_records as (

    select * from application_logs
    {% if is_incremental() %}
        where
            bucket_start in (select bucket_start from touched_buckets)  -- noqa: RF02
            and logged_at >= (select min(bucket_start) from touched_buckets)  -- noqa: RF02
    {% endif %}

),

final as (

    select
        bucket_start,
        project_id,
        service,
        level,
        count() as records,
        max(loaded_at) as last_loaded_at
    from bucket_records
    group by bucket_start, project_id, service, level

)

select * from final
