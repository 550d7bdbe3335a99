"""`sqlaquiz optimize`: fit FSRS's parameters to your own review log, keep them if better."""

from __future__ import annotations

import json

from quiz.commands import common


def optimize(*, as_json: bool, reset: bool) -> int:
    """Fit, compare with what is in use, keep the fitted parameters when they predict better."""
    from quiz.clock import now
    from quiz.paths import data_dir
    from quiz.progress import parameters
    from quiz.review.optimizer import fit
    from quiz.ui import optimize_view

    folder = data_dir()
    if reset:
        removed = parameters.path(folder)
        existed = removed.exists()
        removed.unlink(missing_ok=True)
        if as_json:
            print(json.dumps({"reset": True, "removed": existed, "path": str(removed)}))
        else:
            common.console().print(optimize_view.reset_line(removed, existed))
        return 0
    current = parameters.load(folder)
    with common.existing_store() as store:
        reviews = store.reviews() if store is not None else []
    result = fit(reviews, None, current.parameters if current else None)  # local calendar days
    saved = None
    if result.better and result.parameters is not None and result.fitted is not None:
        saved = parameters.save_or_say(
            folder,
            parameters.Fitted(
                parameters=result.parameters,
                fitted_at=now(),
                reviews=result.reviews,
                log_loss=result.fitted.log_loss,
                rmse=result.fitted.rmse,
            ),
        )
    if as_json:
        print(json.dumps(optimize_view.as_json(result, saved, parameters.path(folder))))
    else:
        common.console().print(optimize_view.report(result, saved))
    return 0
