"""A run as JSON (`run --json`): plain data, no Rich, so that printing it loads no renderer."""

from __future__ import annotations

from typing import Any

from quiz.sandbox.protocol import RunResult


def run_json(
    card_id: str | None, result: RunResult, failures: list[str] | None = None
) -> dict[str, Any]:
    data = result.to_dict()
    err = result.error
    return {
        "card": card_id,
        "queries": result.queries,
        "cells": data["cells"],
        "error": None
        if err is None
        else {"type": err.type, "qualname": err.qualname, "message": err.message, "line": err.line},
        "timed_out": result.timed_out,
        "crash": result.crash,
        "finished": result.finished,
        "output_dropped": result.output_dropped,
        "log_truncated": result.log_truncated,
        "seconds": result.wall_seconds,
        "database": result.database,
        "sandbox": result.sandbox,
        "failures": failures if failures is not None else [],
    }
