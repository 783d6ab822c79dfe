{{
    config(
        incremental_strategy='insert_overwrite',
        order_by='(bucket_start, project_id, service, provider, model)',
        partition_by=rollup_partition(),
    )
}}

with

inferences as (

    select
        *,
        {{ bucket_5m('started_at') }} as bucket_start,
        input_tokens * sample_weight as weighted_input_tokens,
        output_tokens * sample_weight as weighted_output_tokens,
        cached_input_tokens * sample_weight as weighted_cached_input_tokens,
        reasoning_tokens * sample_weight as weighted_reasoning_tokens,
        cost_usd * sample_weight as weighted_cost_usd
    from {{ ref('fct_inferences') }}

),

{{ touched_bucket_ctes('inferences', log_types=['inference'], time_column='started_at') }},

aggregated as (

    select
        bucket_start,
        project_id,
        service,
        provider,
        model,
        count() as requests,
        countIf(is_error) as errors,
        errors / requests as error_rate,
        countIf(is_cancelled) as cancellations,
        countIf(is_stream) as streaming_requests,
        quantilesExact(0.5, 0.95, 0.99) (latency_ms) as latency_quantiles,
        quantilesExact(0.5, 0.95, 0.99) (ttft_ms) as ttft_quantiles,
        -- mergeable t-digest states: a chart over many buckets or groups merges them
        -- (quantilesTDigestMerge), never averages the per-bucket quantiles
        quantilesTDigestState(0.5, 0.95, 0.99) (latency_ms) as latency_state,
        quantilesTDigestStateIf(0.5, 0.95, 0.99) (
            assumeNotNull(ttft_ms), ttft_ms is not null
        ) as ttft_state,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        sum(cached_input_tokens) as cached_input_tokens,
        sum(reasoning_tokens) as reasoning_tokens,
        sum(cost_usd) as cost_usd,
        countIf(cost_source = 'unpriced') as unpriced_requests,
        -- estimates of the true totals: each kept event stands for 1 / sample_rate events
        sum(sample_weight) as estimated_requests,
        sumIf(sample_weight, is_error) as estimated_errors,
        estimated_errors / estimated_requests as estimated_error_rate,
        sum(weighted_input_tokens) as estimated_input_tokens,
        sum(weighted_output_tokens) as estimated_output_tokens,
        sum(weighted_cached_input_tokens) as estimated_cached_input_tokens,
        sum(weighted_reasoning_tokens) as estimated_reasoning_tokens,
        sum(weighted_cost_usd) as estimated_cost_usd,
        max(loaded_at) as last_loaded_at
    from bucket_events
    group by bucket_start, project_id, service, provider, model

),

final as (

    select
        bucket_start,
        project_id,
        service,
        provider,
        model,
        requests,
        errors,
        error_rate,
        cancellations,
        streaming_requests,
        latency_quantiles[1] as latency_p50_ms,
        latency_quantiles[2] as latency_p95_ms,
        latency_quantiles[3] as latency_p99_ms,
        ttft_quantiles[1] as ttft_p50_ms,
        ttft_quantiles[2] as ttft_p95_ms,
        ttft_quantiles[3] as ttft_p99_ms,
        latency_state,
        ttft_state,
        input_tokens,
        output_tokens,
        cached_input_tokens,
        reasoning_tokens,
        cost_usd,
        unpriced_requests,
        estimated_requests,
        estimated_errors,
        estimated_error_rate,
        estimated_input_tokens,
        estimated_output_tokens,
        estimated_cached_input_tokens,
        estimated_reasoning_tokens,
        estimated_cost_usd,
        last_loaded_at
    from aggregated

)

{{ select_with_untouched_buckets('final') }}
