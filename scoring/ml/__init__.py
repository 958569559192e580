"""Pure machine-learning package: schema, synthetic data, features, pipelines, training, evaluation and
prediction. It must never import Django (enforced by an import-linter contract), so a bank's data
scientist can use it on its own tabular data."""
