{{
    config(
        incremental_strategy='insert_overwrite',
        order_by='(bucket_start, project_id, service, score_name, author_kind, data_type, category)',
        partition_by=rollup_partition(),
    )
}}

with

scores as (

    select
        *,
        {{ bucket_5m('scored_at') }} as bucket_start,
        -- booleans and categories are counted per value; numbers are summarised
        if(data_type = 'numeric', '', coalesce(string_value, '')) as category
    from {{ ref('fct_scores') }}

),

{{ touched_bucket_ctes(
    'scores', log_types=['score'], name='bucket_scores', time_column='scored_at'
) }},

final as (

    select
        bucket_start,
        project_id,
        service,
        score_name,
        author_kind,
        data_type,
        category,
        count() as scores,
        sum(numeric_value) as numeric_value_sum,
        min(numeric_value) as numeric_value_min,
        max(numeric_value) as numeric_value_max,
        countIf(score_comment is not null and score_comment != '') as scores_with_comment,
        max(loaded_at) as last_loaded_at
    from bucket_scores
    group by bucket_start, project_id, service, score_name, author_kind, data_type, category

)

{{ select_with_untouched_buckets('final') }}
