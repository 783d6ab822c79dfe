"""The embedded object store: loopback only, credentials enforced, data kept across restarts."""

from __future__ import annotations

import subprocess

import pytest
from botocore.exceptions import ClientError

from ollive.stack.seaweedfs import S3Credentials


def test_wrong_secret_is_refused_with_403(s3_store) -> None:
    creds = s3_store.creds
    wrong = S3Credentials(creds.endpoint, creds.access_key, "not-the-secret", creds.bucket)
    with pytest.raises(ClientError) as err:
        wrong.client().list_objects_v2(Bucket=creds.bucket)
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_every_listener_is_on_loopback(s3_store) -> None:
    pid = s3_store.service.pid
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    listeners = [line.split()[3] for line in out.splitlines() if f"pid={pid}," in line]
    assert listeners, "the store listens on nothing"
    assert all(addr.startswith("127.0.0.1:") for addr in listeners), listeners


def test_objects_survive_a_restart(s3_store) -> None:
    s3 = s3_store.client()
    s3.put_object(
        Bucket=s3_store.creds.bucket, Key="restart/probe.txt", Body=b"kept", Metadata={"n": "1"}
    )
    s3_store.stop()
    s3_store.start()
    obj = s3_store.client().get_object(Bucket=s3_store.creds.bucket, Key="restart/probe.txt")
    assert obj["Body"].read() == b"kept"
    assert obj["Metadata"] == {"n": "1"}
