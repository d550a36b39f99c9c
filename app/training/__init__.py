"""Click to train: the training panel, its background worker and its live plots."""
