"""Benchmarks: data generator, workloads and load runner. They print figures; they never assert."""
