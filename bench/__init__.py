"""Benchmarks of timestamp-cqrs against ceilings measured in the same run (`make bench`)."""
