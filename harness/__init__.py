"""What the benchmark (bench/) and the integration suite (integration/) share: our services as
processes, a raw HTTP/1.1 client, Kafka and PostgreSQL look-ups, and waiting for a condition.
bench and integration import it; the product packages never do."""
