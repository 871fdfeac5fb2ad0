"""Operator commands: topic creation, replay and reconcile (`timestamp-ops`)."""
