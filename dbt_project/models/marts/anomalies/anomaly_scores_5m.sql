{#- settings: the DELETE of delete+insert as a patch part (macros/patch_deletes.sql);
    last_loaded_at_minmax: the watermark (newest_value) and the rows loaded since it, found
    without reading the column whole (a row per series, metric and window starting each minute) -#}
{{
    config(
        unique_key='bucket_start',
        order_by='(bucket_start, metric, project_id, service, provider, model)',
        partition_by='toYYYYMM(bucket_start)',
        settings={'enable_block_number_column': 1, 'enable_block_offset_column': 1},
        indexes=[{
            'name': 'last_loaded_at_minmax',
            'definition': 'last_loaded_at TYPE minmax GRANULARITY 1',
        }],
    )
}}

{#- The rule's knobs (see anomaly_scores_5m.yml); bench/anomalies.py measured these defaults. -#}
{%- set weeks = var('anomaly_baseline_weeks', 3) | int -%}
{%- set neighbours = var('anomaly_neighbour_buckets', 6) | int -%}
{%- set min_samples = var('anomaly_min_samples', 8) | int -%}
{%- set min_volume = var('anomaly_min_volume', 20) | int -%}
{%- set min_volume_p95 = var('anomaly_min_volume_p95', 40) | int -%}
{%- set z_threshold = var('anomaly_z_threshold', 8.0) | float -%}
{%- set z_threshold_counts = var('anomaly_z_threshold_counts', 5.5) | float -%}
{%- set z_threshold_location = var('anomaly_z_threshold_location', 7.0) | float -%}
{%- set z_threshold_cost = var('anomaly_z_threshold_cost', 8.5) | float -%}
{%- set z_pair = var('anomaly_z_threshold_pair', 4.5) | float -%}
{%- set z_pair_counts = var('anomaly_z_threshold_pair_counts', 4.0) | float -%}
{%- set z_pooled = var('anomaly_z_threshold_pooled', 5.0) | float -%}
{%- set z_pooled_own = var('anomaly_z_threshold_pooled_own', 2.0) | float -%}
{%- set relative_floor = var('anomaly_relative_floor', 0.05) | float -%}
{#- a window starts every `step` minutes: 1 (the first full window of an incident ends 5 to 6
    minutes after its start) or 5 (the aligned buckets: 5 times fewer windows to score); any
    other value is taken as 1 -#}
{%- set step = 5 if var('anomaly_window_step_minutes', 1) | int == 5 else 1 -%}
{#- the oldest sample a window's baseline reads: `weeks` weeks and `neighbours` buckets back -#}
{%- set history_minutes = weeks * 10080 + neighbours * 5 -%}

with

buckets as (

    select * from {{ ref('agg_inference_5m') }}

),

minutes as (

    select * from {{ ref('agg_inference_1m') }}

),

newest as (

    -- the newest minute is still filling: a window is scored once all five of its minutes
    -- are complete, i.e. once a later minute exists
    select
        max(minute_start) as newest_minute,
        max(last_loaded_at) as newest_load
    from minutes

),

first_scored as (

    -- incremental: from the first window holding a minute rebuilt since the last run (its
    -- events loaded since the newest load already scored, minus the lookback); NULL when none,
    -- so nothing is scored
    select minOrNull(minute_start) - toIntervalMinute(4) as first_window from minutes
    {% if is_incremental() %}
        where last_loaded_at >= {{ lookback_cutoff('last_loaded_at', leading_sort_key()) }}
    {% endif %}

),

scored_from as (

    -- the window 5 minutes before the first one written is scored too: the two-window rules
    -- read it
    select first_window - toIntervalMinute(5) as from_window from first_scored

),

windows as (

    -- a 5-minute window starting every `step` minutes: its minutes' counts and sums, and the
    -- exact quantiles of its minutes' values together
    select
        minute_start - toIntervalMinute(offset_minutes) as window_start,
        project_id,
        service,
        provider,
        model,
        sum(requests) as requests,
        sum(errors) as errors,
        sum(streaming_requests) as streaming_requests,
        quantilesExactArray(0.5, 0.95) (latencies_ms) as latency_quantiles,
        quantilesExactArray(0.5, 0.95) (ttfts_ms) as ttft_quantiles,
        sum(cost_usd) as cost_usd,
        sum(unpriced_requests) as unpriced_requests,
        max(last_loaded_at) as last_loaded_at
    from minutes
    array join range(5) as offset_minutes
    where
        minute_start >= (select from_window from scored_from)  -- noqa: RF02
        and toMinute(window_start) % {{ step }} = 0
    group by window_start, project_id, service, provider, model
    having
        window_start >= (select from_window from scored_from)  -- noqa: RF02
        and window_start <= (
            select newest_minute - toIntervalMinute(5) from newest  -- noqa: RF02
        )

),

rollup_rows as (

    -- the aligned 5-minute buckets are the baseline's samples, the windows what is scored
    select
        bucket_start,
        project_id,
        service,
        provider,
        model,
        requests,
        error_rate,
        streaming_requests,
        latency_p50_ms,
        latency_p95_ms,
        ttft_p50_ms,
        ttft_p95_ms,
        cost_usd,
        unpriced_requests,
        last_loaded_at,
        0 as is_window
    from buckets
    where
        bucket_start >= toStartOfFiveMinutes(
            (select from_window from scored_from)  -- noqa: RF02
        ) - toIntervalMinute({{ history_minutes }})

    union all

    select
        window_start as bucket_start,
        project_id,
        service,
        provider,
        model,
        requests,
        errors / requests as error_rate,
        streaming_requests,
        latency_quantiles[1] as latency_p50_ms,
        latency_quantiles[2] as latency_p95_ms,
        ttft_quantiles[1] as ttft_p50_ms,
        ttft_quantiles[2] as ttft_p95_ms,
        cost_usd,
        unpriced_requests,
        last_loaded_at,
        1 as is_window
    from windows

),

metric_values as (

    select
        bucket_start,
        project_id,
        service,
        provider,
        model,
        last_loaded_at,
        is_window,
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
    -- p95's, with lighter tails, so one window tells. A shift of the tail only is the p95s'.
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

),

baseline_samples as (

    -- each aligned bucket is a sample for the same time of week 1..`weeks` weeks later, and
    -- for the `neighbours` buckets either side of it (daily and weekly seasonality in one rule)
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
        is_window = 0
        -- a rate over too few events is noise, not a sample; a count is a sample at any size
        and (metric = 'requests' or event_count >= {{ min_volume }})
        and target_bucket >= toStartOfFiveMinutes(
            (select from_window from scored_from)  -- noqa: RF02
        )
        and target_bucket <= (
            select newest_minute - toIntervalMinute(5) from newest  -- noqa: RF02
        )

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
        -- the samples' spread, not the window's own: a median high by chance comes with a
        -- narrow p50-p95 gap, which would make its own noise look smallest just then
        quantileExactInclusive(0.5) (sample_log_spread) as baseline_log_spread,
        groupArray(sample_stabilised) as samples_stabilised
    from baseline_samples
    group by target_bucket, project_id, service, provider, model, metric
    having samples >= {{ min_samples }}

),

spreads as (

    -- the windows starting in a bucket take its baseline
    select
        bucket_start + toIntervalMinute(offset_minutes) as window_start,
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
    array join range(0, 5, {{ step }}) as offset_minutes
    where
        window_start >= (select from_window from scored_from)  -- noqa: RF02
        and window_start <= (
            select newest_minute - toIntervalMinute(5) from newest  -- noqa: RF02
        )

),

observations as (

    select
        *,
        1 as is_observed
    from metric_values
    where is_window = 1

),

joined as (

    select
        spreads.window_start as bucket_start,
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
        -- a silent window has no load of its own: it carries the newest load scored with
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
            spreads.window_start = observations.bucket_start
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
        -- MAD as a standard deviation, never below the window's own sampling noise (1/2 for a
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
        -- a count is judged on the events expected, a rate on the events it was computed over;
        -- a p95 over fewer than `min_volume_p95` events is one of its top two events
        multiIf(
            metric = 'requests', baseline_event_count >= {{ min_volume }},
            metric in ('latency_p95_ms', 'ttft_p95_ms'), event_count >= {{ min_volume_p95 }},
            event_count >= {{ min_volume }}
        ) as has_min_volume
    from joined

),

with_previous as (

    -- the same series and metric in the window just before (5 minutes earlier, adjacent and
    -- not overlapping): 5 / `step` rows back when every window between was scored, else NULL
    {%- set back = 1 if step == 5 else 5 %}
    select
        *,
        lagInFrame(toNullable(bucket_start), {{ back }}) over series_order as previous_bucket,
        lagInFrame(toNullable(robust_z), {{ back }}) over series_order as previous_z_any,
        lagInFrame(toNullable(has_min_volume), {{ back }}) over series_order
            as previous_volume_any,
        lagInFrame(toNullable(observed), {{ back }}) over series_order as previous_observed_any,
        lagInFrame(toNullable(event_count), {{ back }}) over series_order as previous_count_any
    from scored
    window series_order as (
        partition by project_id, service, provider, model, metric order by bucket_start
        rows between {{ back }} preceding and current row
    )

),

pairs as (

    select
        *,
        coalesce(previous_bucket = bucket_start - toIntervalMinute(5), false) as has_previous,
        coalesce(has_previous and previous_volume_any, false) as previous_has_min_volume,
        -- 0 without a previous window: never counts as out
        if(has_previous, assumeNotNull(previous_z_any), 0) as previous_z,
        -- errors and requests add up, so the rate over both windows is exact
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
            -- one window far out: counts and rates follow their noise model (Poisson,
            -- binomial) closely, and a median of a few dozen events is close to normal on the
            -- log scale; a mean cost per request over them has a right skew at 20-odd
            -- requests, and a p95 the heaviest tails, so they need the largest scores
            (
                has_min_volume
                and abs(robust_z) >= multiIf(
                    metric in ('requests', 'error_rate'), {{ z_threshold_counts }},
                    metric in ('latency_p50_ms', 'ttft_p50_ms'), {{ z_threshold_location }},
                    metric = 'cost_per_request_usd', {{ z_threshold_cost }},
                    {{ z_threshold }}
                )
            )
            -- or two adjacent windows out the same way: a shift that persists
            or (
                has_min_volume
                and previous_has_min_volume
                and sign(robust_z) = sign(previous_z)
                and least(abs(robust_z), abs(previous_z)) >= if(
                    metric in ('requests', 'error_rate'), {{ z_pair_counts }}, {{ z_pair }}
                )
            )
            -- or an error rate over this window and the one before together (ten minutes),
            -- for a series too quiet for one window to tell; the window itself up too, so the
            -- one after a burst, whose pair still holds it, is not flagged
            or (
                metric = 'error_rate'
                and pair_event_count >= {{ min_volume }}
                and pair_error_z >= {{ z_pooled }}
                and robust_z >= {{ z_pooled_own }}
            )
        ) as is_anomaly,
        last_loaded_at
    from pairs
    -- the windows before the first are read, not written (their rows are from an earlier run)
    where bucket_start >= (select first_window from first_scored)  -- noqa: RF02

)

select * from final
