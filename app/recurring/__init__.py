"""Recurring posts (rules materialized ahead of time through the job store) and posting slots."""
