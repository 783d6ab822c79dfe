{#- delete+insert by 5-minute bucket, not insert_overwrite of day partitions as the other
    rollups: a row holds its minute's latencies themselves, so replacing a day would rewrite
    every latency of the day at every build. Its one reader, anomaly_scores_5m, runs after it
    in the same build, so the instant between the DELETE (a patch part, as the facts') and the
    INSERT is never read. last_loaded_at_minmax: the watermark and the minutes the anomaly
    model rescores, found by load time. -#}
{{
    config(
        incremental_strategy='delete+insert',
        unique_key='bucket_start',
        order_by='(bucket_start, minute_start, project_id, service, provider, model)',
        partition_by=rollup_partition(),
        settings={'enable_block_number_column': 1, 'enable_block_offset_column': 1},
        indexes=[{
            'name': 'last_loaded_at_minmax',
            'definition': 'last_loaded_at TYPE minmax GRANULARITY 1',
        }],
    )
}}

with

inferences as (

    select
        *,
        toDateTime(toStartOfMinute(started_at), 'UTC') as minute_start,
        -- rebuilt by whole 5-minute buckets, as the other rollups (macros/touched_buckets.sql)
        {{ bucket_5m('started_at') }} as bucket_start
    from {{ ref('fct_inferences') }}

),

{{ touched_bucket_ctes('inferences', log_types=['inference'], time_column='started_at') }},

aggregated as (

    select
        minute_start,
        bucket_start,
        project_id,
        service,
        provider,
        model,
        count() as requests,
        countIf(is_error) as errors,
        countIf(is_stream) as streaming_requests,
        -- the values themselves, not quantiles: any run of minutes has exact quantiles over
        -- its events (quantilesExactArray), which a window sliding by the minute needs
        arraySort(groupArray(latency_ms)) as latencies_ms,
        arraySort(groupArrayIf(assumeNotNull(ttft_ms), ttft_ms is not null)) as ttfts_ms,
        sum(cost_usd) as cost_usd,
        countIf(cost_source = 'unpriced') as unpriced_requests,
        max(loaded_at) as last_loaded_at
    from bucket_events
    group by minute_start, bucket_start, project_id, service, provider, model

),

final as (

    select
        minute_start,
        bucket_start,
        project_id,
        service,
        provider,
        model,
        requests,
        errors,
        streaming_requests,
        latencies_ms,
        ttfts_ms,
        cost_usd,
        unpriced_requests,
        last_loaded_at
    from aggregated

)

select * from final
