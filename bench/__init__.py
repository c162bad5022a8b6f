"""Benchmarks: data generator, workloads and load runner. They print figures; they never assert."""


def given_database() -> str:
    """The app's URL of the benchmark database named by ``BENCH_DATABASE_URL`` (the benchmarks
    that measure against data loaded beforehand); exits with a hint when it is not set."""
    import os

    from lnob_api.config import Settings

    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        raise SystemExit("set BENCH_DATABASE_URL to a database holding the benchmark data")
    return Settings.from_env({"DATABASE_URL": url}).database_url or url
