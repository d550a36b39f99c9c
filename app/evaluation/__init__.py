"""Views of what a network learned and how training went: confusion matrix, per-sample predictions, decision
boundary, augmentation preview, optimiser playground and training health.

Each is an :class:`~app.evaluation.base.EvaluationView` listed in :mod:`app.evaluation.registry`; the training
panel shows them in that order and tells them about each run.
"""
