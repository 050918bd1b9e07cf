"""Analytics: what each published post did, measured on a schedule and kept as a time series."""
