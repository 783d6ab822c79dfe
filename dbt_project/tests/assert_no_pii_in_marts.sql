-- No text value of any mart (fct_*, agg_*, pii_*) matches a PII pattern (macros/pii_patterns.sql):
-- every free-text column went through redact_pii, and nothing else carries personal data.
-- depends_on: {{ ref('fct_inferences') }}
-- depends_on: {{ ref('fct_tool_executions') }}
-- depends_on: {{ ref('fct_application_logs') }}
-- depends_on: {{ ref('agg_inference_5m') }}
-- depends_on: {{ ref('agg_tool_5m') }}
-- depends_on: {{ ref('agg_application_5m') }}
-- depends_on: {{ ref('pii_detections_5m') }}
{{ pii_matches_in_marts() }}
