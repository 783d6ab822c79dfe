{#- No two rows share the same values of `columns` (a composite key); dbt_utils' test, home-made
    because the project takes no hub packages. -#}
{% test unique_combination_of_columns(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as count_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
