"""The learner's progress: the store (one SQLite file), statistics, export and import."""
