{{
    config(
        unique_key='event_id',
        order_by='(started_at, event_id)',
        partition_by='toYYYYMM(started_at)',
    )
}}

with

{{ loaded_event_ctes('stg_inferences', log_type='inference', name='inferences') }},

model_prices as (

    select * from {{ ref('model_prices') }}

),

price_keys as (

    select distinct
        provider,
        model,
        toDate(started_at) as price_date
    from inferences

),

matched_prices as (

    -- most specific pattern first, then the latest price valid on the event's date
    select
        price_keys.provider,
        price_keys.model,
        price_keys.price_date,
        -- nullable, so an event with no matching price gets NULLs from the left join
        toNullable(model_prices.model_pattern) as model_pattern,
        toNullable(model_prices.input_usd_per_mtok) as input_usd_per_mtok,
        toNullable(model_prices.output_usd_per_mtok) as output_usd_per_mtok,
        toNullable(coalesce(
            model_prices.cached_input_usd_per_mtok, model_prices.input_usd_per_mtok
        )) as cached_input_usd_per_mtok,
        toNullable(coalesce(
            model_prices.reasoning_usd_per_mtok, model_prices.output_usd_per_mtok
        )) as reasoning_usd_per_mtok
    from price_keys
    inner join model_prices on price_keys.provider = model_prices.provider
    where
        replaceRegexpOne(lower(price_keys.model), '^models/', '') like model_prices.model_pattern
        and model_prices.valid_from <= price_keys.price_date
    order by
        length(replaceAll(model_prices.model_pattern, '%', '')) desc,
        model_prices.valid_from desc
    limit 1 by price_keys.provider, price_keys.model, price_keys.price_date

),

priced as (

    select
        inferences.*,
        matched_prices.model_pattern as price_model_pattern,
        -- input includes cached, output includes reasoning (OTel; the SDK reports so);
        -- rounded to a micro-micro-dollar so equal prices compare equal
        round((
            greatest(
                coalesce(inferences.input_tokens, 0)
                - coalesce(inferences.cached_input_tokens, 0),
                0
            ) * matched_prices.input_usd_per_mtok
            + coalesce(inferences.cached_input_tokens, 0)
            * matched_prices.cached_input_usd_per_mtok
            + greatest(
                coalesce(inferences.output_tokens, 0)
                - coalesce(inferences.reasoning_tokens, 0),
                0
            ) * matched_prices.output_usd_per_mtok
            + coalesce(inferences.reasoning_tokens, 0)
            * matched_prices.reasoning_usd_per_mtok
        ) / 1e6, 12) as priced_cost_usd
    from inferences
    left join matched_prices
        on
            inferences.provider = matched_prices.provider
            and inferences.model = matched_prices.model
            and toDate(inferences.started_at) = matched_prices.price_date

),

final as (

    select
        -- ids
        event_id,
        project_id,
        request_id,
        trace_id,
        span_id,
        parent_span_id,
        conversation_id,
        session_id,
        user_pseudo_id,

        -- strings
        service,
        environment,
        sdk_name,
        sdk_version,
        provider,
        operation,
        model,
        response_model,
        status,
        finish_reason,
        error_code,
        error_message,
        input_preview,
        output_preview,
        tool_call_names,
        tool_call_ids,
        tool_call_arguments_previews,
        metadata,
        pii_entities,
        price_model_pattern,
        multiIf(
            producer_cost_usd is not null, 'producer',
            priced_cost_usd is not null, 'model_prices',
            'unpriced'
        ) as cost_source,
        object_key,

        -- numerics
        latency_ms,
        ttft_ms,
        input_tokens,
        output_tokens,
        cached_input_tokens,
        reasoning_tokens,
        producer_cost_usd,
        priced_cost_usd,
        coalesce(producer_cost_usd, priced_cost_usd) as cost_usd,
        count_tool_calls,
        sample_rate,
        sample_weight,
        schema_version,

        -- booleans
        is_stream,
        is_error,
        is_cancelled,
        pii_detected,

        -- timestamps
        started_at,
        finished_at,
        received_at,
        loaded_at

    from priced

)

select * from final
