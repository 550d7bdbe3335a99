"""The review loop in parts: keys and actions (input), the queue and undo state, grading through
the store (FSRS scheduling), and the session that wires them to what quiz/ui shows."""
