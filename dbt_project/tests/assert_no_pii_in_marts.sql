-- reads whole marts: run by the scheduled full tests, not after every load
{{ config(tags=['full_scan']) }}

-- No text value of any mart (fct_*, agg_*, pii_*) matches a PII pattern (macros/pii_patterns.sql):
-- every free-text column went through redact_pii, and nothing else carries personal data.
-- depends_on: {{ ref('fct_inferences') }}
-- depends_on: {{ ref('fct_tool_executions') }}
-- depends_on: {{ ref('fct_application_logs') }}
-- depends_on: {{ ref('agg_inference_5m') }}
-- depends_on: {{ ref('agg_tool_5m') }}
-- depends_on: {{ ref('agg_application_5m') }}
-- depends_on: {{ ref('pii_detections_5m') }}
-- depends_on: {{ ref('fct_scores') }}
-- depends_on: {{ ref('agg_scores_5m') }}
-- depends_on: {{ ref('fct_traces') }}
-- depends_on: {{ ref('fct_conversations') }}
-- depends_on: {{ ref('fct_session_timeline') }}
{{ pii_matches_in_marts() }}
