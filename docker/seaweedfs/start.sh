#!/bin/sh
# SeaweedFS as the compose stack's S3 server, with three identities: `root` (bucket creation,
# used only by the one-shot init service), `ingest` (reads and writes objects in the bucket:
# HeadBucket and PutObject) and `pipeline` (Dagster and ClickHouse's s3(): list, read, and write
# the lake). The identity file is written at every start from the environment, readable by this
# user only, and never lands in the data volume.
set -eu

for name in S3_BUCKET S3_ROOT_ACCESS_KEY S3_ROOT_SECRET_KEY S3_INGEST_ACCESS_KEY \
    S3_INGEST_SECRET_KEY S3_PIPELINE_ACCESS_KEY S3_PIPELINE_SECRET_KEY; do
    eval "value=\${$name:-}"
    case "$value" in
        "" | *[!A-Za-z0-9._~-]*)
            echo "seaweedfs: $name must be set, with letters, digits and . _ ~ - only" >&2
            exit 1
            ;;
    esac
done

identity() { # name access_key secret_key actions(JSON list)
    printf '{"name":"%s","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":%s}' \
        "$1" "$2" "$3" "$4"
}

umask 077
config="${S3_CONFIG_FILE:-/tmp/ollive-s3.json}"
{
    printf '{"identities":['
    identity root "$S3_ROOT_ACCESS_KEY" "$S3_ROOT_SECRET_KEY" \
        '["Admin","Read","Write","List","Tagging"]'
    printf ','
    identity ingest "$S3_INGEST_ACCESS_KEY" "$S3_INGEST_SECRET_KEY" \
        "[\"Read:$S3_BUCKET\",\"Write:$S3_BUCKET\"]"
    printf ','
    identity pipeline "$S3_PIPELINE_ACCESS_KEY" "$S3_PIPELINE_SECRET_KEY" \
        "[\"Read:$S3_BUCKET\",\"Write:$S3_BUCKET\",\"List:$S3_BUCKET\"]"
    printf ']}\n'
} >"$config"

exec weed server \
    -dir=/data \
    -master.telemetry=false \
    -master.volumeSizeLimitMB=1024 \
    -volume.max=0 \
    -s3 \
    -s3.port=8333 \
    -s3.config="$config" \
    -s3.port.iceberg=0 \
    -s3.port.lance=0
