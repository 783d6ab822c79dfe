{{
    config(
        unique_key='bucket_start',
        order_by='(bucket_start, metric, project_id, service, provider, model)',
        partition_by='toYYYYMM(bucket_start)',
    )
}}

{#- The rule's knobs (see anomaly_scores_5m.yml); bench/anomalies.py measured these defaults. -#}
{%- set weeks = var('anomaly_baseline_weeks', 3) | int -%}
{%- set neighbours = var('anomaly_neighbour_buckets', 6) | int -%}
{%- set min_samples = var('anomaly_min_samples', 8) | int -%}
{%- set min_volume = var('anomaly_min_volume', 20) | int -%}
{%- set z_threshold = var('anomaly_z_threshold', 8.0) | float -%}
{%- set z_threshold_counts = var('anomaly_z_threshold_counts', 5.0) | float -%}
{%- set z_threshold_location = var('anomaly_z_threshold_location', 7.0) | float -%}
{%- set z_threshold_cost = var('anomaly_z_threshold_cost', 7.0) | float -%}
{%- set z_pair = var('anomaly_z_threshold_pair', 4.0) | float -%}
{%- set z_pair_counts = var('anomaly_z_threshold_pair_counts', 3.5) | float -%}
{%- set relative_floor = var('anomaly_relative_floor', 0.05) | float -%}
{#- the oldest sample a bucket's baseline reads: `weeks` weeks and `neighbours` buckets back -#}
{%- set history_minutes = weeks * 10080 + neighbours * 5 -%}

with

rollup_rows as (

    select * from {{ ref('agg_inference_5m') }}

),

newest as (

    -- the newest bucket is still filling: it is scored once a later bucket exists
    select
        max(bucket_start) as newest_bucket,
        max(last_loaded_at) as newest_load
    from rollup_rows

),

first_scored as (

    -- incremental: from the oldest bucket rebuilt since the last run (its events loaded since
    -- the newest load already scored, minus the lookback); NULL when none, so nothing is scored
    select minOrNull(bucket_start) as first_bucket from rollup_rows
    {% if is_incremental() %}
        where last_loaded_at >= {{ lookback_cutoff('last_loaded_at') }}
    {% endif %}

),

scored_from as (

    -- the bucket before the first one written is scored too: the two-bucket rules read it
    select first_bucket - toIntervalMinute(5) as from_bucket from first_scored

),

metric_values as (

    select
        bucket_start,
        project_id,
        service,
        provider,
        model,
        last_loaded_at,
        (log(latency_p95_ms) - log(latency_p50_ms)) / 1.645 as latency_spread,
        (log(ttft_p95_ms) - log(ttft_p50_ms)) / 1.645 as ttft_spread,
        tupleElement(metric_tuple, 1) as metric,
        tupleElement(metric_tuple, 2) as observed,
        tupleElement(metric_tuple, 3) as event_count,
        -- for a median: the per-event spread on the log scale, (log p95 - log p50) / 1.645 as
        -- for a log-normal, which sets the median's sampling noise; 0 for other metrics
        tupleElement(metric_tuple, 4) as log_spread,
        -- variance-stabilised: a count's Poisson noise is constant on a square-root scale, a
        -- rate's binomial noise on an arcsine-square-root scale, and latency, TTFT and cost
        -- vary by factors (log-normal tails), so medians and MADs are taken on these scales
        multiIf(
            metric = 'requests', sqrt(observed),
            metric = 'error_rate', asin(sqrt(observed)),
            log(observed)
        ) as stabilised
    from rollup_rows
    -- one row per metric; event_count = the events the metric is computed over. The medians
    -- (p50) see a shift of the whole distribution: over n events their noise is 0.6 of a
    -- p95's, with lighter tails, so one bucket tells. A shift of the tail only is the p95s'.
    array join
        [
            ('error_rate', toFloat64(error_rate), toFloat64(requests), 0),
            ('latency_p50_ms', toFloat64(latency_p50_ms), toFloat64(requests), latency_spread),
            ('latency_p95_ms', toFloat64(latency_p95_ms), toFloat64(requests), 0),
            ('ttft_p50_ms', toFloat64(ttft_p50_ms), toFloat64(streaming_requests), ttft_spread),
            ('ttft_p95_ms', toFloat64(ttft_p95_ms), toFloat64(streaming_requests), 0),
            ('requests', toFloat64(requests), toFloat64(requests), 0),
            (
                'cost_per_request_usd',
                toFloat64(cost_usd) / (requests - unpriced_requests),
                toFloat64(requests - unpriced_requests),
                0
            )
        ] as metric_tuple
    where
        isFinite(observed)
        -- a zero latency or cost has no logarithm: not scored
        and isFinite(stabilised)
        and bucket_start >= (
            select from_bucket from scored_from  -- noqa: RF02
        ) - toIntervalMinute({{ history_minutes }})

),

baseline_samples as (

    -- each bucket is a sample for the same time of week 1..`weeks` weeks later, and for the
    -- `neighbours` buckets either side of it (daily and weekly seasonality in one rule)
    select
        project_id,
        service,
        provider,
        model,
        metric,
        observed as sample_value,
        stabilised as sample_stabilised,
        event_count as sample_event_count,
        log_spread as sample_log_spread,
        bucket_start + toIntervalMinute(offset_minutes) as target_bucket
    from metric_values
    array join
        arrayFlatten(
            arrayMap(
                week -> arrayMap(
                    slot -> week * 10080 + slot * 5,
                    range(-{{ neighbours }}, {{ neighbours }} + 1)
                ),
                range(1, {{ weeks }} + 1)
            )
        ) as offset_minutes
    where
        -- a rate over too few events is noise, not a sample; a count is a sample at any size
        (metric = 'requests' or event_count >= {{ min_volume }})
        and target_bucket >= (select from_bucket from scored_from)  -- noqa: RF02
        and target_bucket < (select newest_bucket from newest)  -- noqa: RF02

),

baselines as (

    select
        target_bucket as bucket_start,
        project_id,
        service,
        provider,
        model,
        metric,
        count() as samples,
        quantileExactInclusive(0.5) (sample_value) as baseline,
        quantileExactInclusive(0.5) (sample_stabilised) as baseline_stabilised,
        quantileExactInclusive(0.5) (sample_event_count) as baseline_event_count,
        -- the samples' spread, not the bucket's own: a median high by chance comes with a
        -- narrow p50-p95 gap, which would make its own noise look smallest just then
        quantileExactInclusive(0.5) (sample_log_spread) as baseline_log_spread,
        groupArray(sample_stabilised) as samples_stabilised
    from baseline_samples
    group by target_bucket, project_id, service, provider, model, metric
    having samples >= {{ min_samples }}

),

spreads as (

    select
        bucket_start,
        project_id,
        service,
        provider,
        model,
        metric,
        samples,
        baseline,
        baseline_stabilised,
        baseline_event_count,
        baseline_log_spread,
        arrayReduce(
            'quantileExactInclusive(0.5)',
            arrayMap(x -> abs(x - baseline_stabilised), samples_stabilised)
        ) as mad
    from baselines

),

observations as (

    select
        *,
        1 as is_observed
    from metric_values
    where
        bucket_start >= (select from_bucket from scored_from)  -- noqa: RF02
        and bucket_start < (select newest_bucket from newest)  -- noqa: RF02

),

joined as (

    select
        spreads.bucket_start,
        spreads.project_id,
        spreads.service,
        spreads.provider,
        spreads.model,
        spreads.metric,
        spreads.samples,
        spreads.baseline,
        spreads.baseline_stabilised,
        spreads.baseline_event_count,
        spreads.baseline_log_spread,
        spreads.mad,
        -- no row in the rollup: no events, which is an observation only for the request count
        if(observations.is_observed = 1, observations.observed, 0) as observed,
        if(observations.is_observed = 1, observations.stabilised, 0) as observed_stabilised,
        if(observations.is_observed = 1, observations.event_count, 0) as event_count,
        -- a silent bucket has no load of its own: it carries the newest load scored with
        -- it (the epoch would expire it at once under the table's TTL on last_loaded_at)
        if(
            observations.is_observed = 1,
            observations.last_loaded_at,
            -- a scalar subquery is Nullable; a TTL column must not be
            assumeNotNull((select newest_load from newest))  -- noqa: RF02
        ) as last_loaded_at
    from spreads
    left join observations
        on
            spreads.bucket_start = observations.bucket_start
            and spreads.project_id = observations.project_id
            and spreads.service = observations.service
            and spreads.provider = observations.provider
            and spreads.model = observations.model
            and spreads.metric = observations.metric
    where observations.is_observed = 1 or spreads.metric = 'requests'

),

scored as (

    select
        *,
        -- MAD as a standard deviation, never below the bucket's own sampling noise (1/2 for a
        -- count on its square-root scale, 1/(2 sqrt(n)) for a rate on its arcsine scale,
        -- 1.2533 spread / sqrt(n) for a median on the log scale) nor below a relative change
        -- of `relative_floor`
        greatest(
            1.4826 * mad,
            multiIf(
                metric = 'requests',
                greatest(0.5, {{ relative_floor }} / 2 * baseline_stabilised),
                metric = 'error_rate', 1 / (2 * sqrt(greatest(event_count, 1))),
                metric in ('latency_p50_ms', 'ttft_p50_ms'),
                greatest(
                    {{ relative_floor }},
                    1.2533 * coalesce(baseline_log_spread, 0) / sqrt(greatest(event_count, 1))
                ),
                {{ relative_floor }}
            )
        ) as robust_scale,
        (observed_stabilised - baseline_stabilised) / robust_scale as robust_z,
        if(observed >= baseline, 'up', 'down') as direction,
        -- a count is judged on the events expected, a rate on the events it was computed over
        if(
            metric = 'requests', baseline_event_count, event_count
        ) >= {{ min_volume }} as has_min_volume
    from joined

),

with_previous as (

    -- the same series and metric one bucket earlier (NULL when that bucket was not scored)
    select
        *,
        lagInFrame(toNullable(bucket_start)) over series_order as previous_bucket,
        lagInFrame(toNullable(robust_z)) over series_order as previous_z_any,
        lagInFrame(toNullable(has_min_volume)) over series_order as previous_volume_any,
        lagInFrame(toNullable(observed)) over series_order as previous_observed_any,
        lagInFrame(toNullable(event_count)) over series_order as previous_count_any
    from scored
    window series_order as (
        partition by project_id, service, provider, model, metric order by bucket_start
        rows between 1 preceding and current row
    )

),

pairs as (

    select
        *,
        coalesce(previous_bucket = bucket_start - toIntervalMinute(5), false) as has_previous,
        coalesce(has_previous and previous_volume_any, false) as previous_has_min_volume,
        -- 0 without a previous bucket: never counts as out
        if(has_previous, assumeNotNull(previous_z_any), 0) as previous_z,
        -- errors and requests add up, so the rate over both buckets is exact
        if(
            has_previous, event_count + assumeNotNull(previous_count_any), event_count
        ) as pair_event_count,
        if(
            has_previous and pair_event_count > 0,
            (
                observed * event_count
                + assumeNotNull(previous_observed_any) * assumeNotNull(previous_count_any)
            )
            / pair_event_count,
            observed
        ) as pair_error_rate,
        (asin(sqrt(pair_error_rate)) - baseline_stabilised) / greatest(
            1.4826 * mad, 1 / (2 * sqrt(greatest(pair_event_count, 1)))
        ) as pair_error_z
    from with_previous

),

final as (

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
        mad,
        robust_z,
        event_count,
        baseline_event_count,
        samples,
        has_min_volume,
        -- lower error rate, latency or TTFT is never an incident; fewer or more requests and a
        -- cheaper or dearer request both are
        (direction = 'up' or metric in ('requests', 'cost_per_request_usd'))
        and (
            -- one bucket far out: counts and rates follow their noise model (Poisson,
            -- binomial) closely, and a median of a few dozen events is close to normal on the
            -- log scale; so is a mean cost per request over them, though with a right skew at
            -- 20-odd requests; a p95 has the heaviest tails, so it needs the largest score
            (
                has_min_volume
                and abs(robust_z) >= multiIf(
                    metric in ('requests', 'error_rate'), {{ z_threshold_counts }},
                    metric in ('latency_p50_ms', 'ttft_p50_ms'), {{ z_threshold_location }},
                    metric = 'cost_per_request_usd', {{ z_threshold_cost }},
                    {{ z_threshold }}
                )
            )
            -- or two buckets in a row out the same way: a shift that persists
            or (
                has_min_volume
                and previous_has_min_volume
                and sign(robust_z) = sign(previous_z)
                and least(abs(robust_z), abs(previous_z)) >= if(
                    metric in ('requests', 'error_rate'), {{ z_pair_counts }}, {{ z_pair }}
                )
            )
            -- or an error rate over this bucket and the one before together, for a series
            -- too quiet for one bucket to tell
            or (
                metric = 'error_rate'
                and pair_event_count >= {{ min_volume }}
                and pair_error_z >= {{ z_threshold_counts }}
            )
        ) as is_anomaly,
        last_loaded_at
    from pairs
    -- the bucket before the first is read, not written (its row is from an earlier run)
    where bucket_start >= (select first_bucket from first_scored)  -- noqa: RF02

)

select * from final
