"""The review loop: the session, FSRS scheduling, and reading the learner's keys."""
