"""The code location loads: every job, op, schedule, sensor and check resolves in one repository.

Dagster checks name clashes (an op and a job of one name, two jobs of one name) only when the
repository is loaded, which the code server does at start; without this test a clash shows up
as "no run ever starts" in the e2e tests instead of as a named error here.
"""

from dagster_project.definitions import defs


def test_every_definition_resolves_in_one_repository() -> None:
    repository = defs.get_repository_def()
    repository.load_all_definitions()
    jobs = {job.name for job in repository.get_all_jobs()}
    assert {"backup_clickhouse_job", "expire_raw_objects_job"} <= jobs
