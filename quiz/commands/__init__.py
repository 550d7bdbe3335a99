"""One module per command or family: parse what the CLI handed over, call the core, render, and
let domain errors (quiz.errors) reach the CLI, which turns them into one line and an exit code."""
