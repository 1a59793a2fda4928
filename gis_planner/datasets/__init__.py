"""The embedded demo layers and the synthetic data generators."""
