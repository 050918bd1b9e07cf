"""What runs in worker processes: claim due posts, publish them, settle the outcome."""
