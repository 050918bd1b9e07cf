"""The platforms OpenPost publishes to: one package each, and what they share (docs/platforms.md)."""
