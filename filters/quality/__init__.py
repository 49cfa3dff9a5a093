"""Train, evaluate and apply a GPT-3-style quality classifier (fastText).

- :mod:`.config`: ``TrainConfig`` (training) and ``QualityConfig`` (scoring and selection in a pipeline);
- :mod:`.data`: reading the two classes, balanced sampling, the held-out split;
- :mod:`.train`: fastText supervised training and the JSON model card;
- :mod:`.metrics`: ROC AUC, precision/recall/F1 (numpy only);
- :mod:`.evaluate`: scoring labelled files and the HTML/JSON/PNG report.

The text normalisation, the model wrapper and the selection rules live in
``filters.quality.classifier``; the Beam transform in ``pipelines.quality``.
"""
