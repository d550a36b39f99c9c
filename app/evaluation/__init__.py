"""Views of what a network learned and how training went: confusion matrix, per-sample predictions, decision
boundary, augmentation preview, optimiser playground and training health."""
