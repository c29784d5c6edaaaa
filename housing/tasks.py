"""Thin Celery tasks of rental housing: each calls a service. Safe to run twice."""

from celery import shared_task

from . import imports


@shared_task(ignore_result=True)
def import_job_run(job_id: int) -> bool:
    """Report the rows of an uploaded spreadsheet (queued by imports.import_job_create); a job already
    claimed, running or ended is left alone."""
    return imports.import_job_run(job_id=job_id)


@shared_task(ignore_result=True)
def import_jobs_sweep() -> dict[str, int]:
    """Run by beat every few minutes: queue again the import jobs a dead worker or a lost message left
    behind, and empty the refused rows of jobs that ended more than a week ago."""
    return {"revived": imports.import_jobs_revive(), "purged": imports.import_jobs_purge()}
