"""The one-map (数字社区一张图): a self-contained interactive map of a run."""
