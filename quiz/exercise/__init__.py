"""Exercises: code the learner fixes until the runner's checks pass (grading, workspace, loop)."""

from quiz.exercise.grading import CheckResult, grade, passed

__all__ = ["CheckResult", "grade", "passed"]
