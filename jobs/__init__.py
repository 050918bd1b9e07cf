"""Work that runs in worker processes, woken by the scheduler."""
