import traceback

import pytest

from quiz.sandbox.cells import split_cells


def test_no_marker_is_one_cell() -> None:
    cells = split_cells("x = 1\nprint(x)\n")
    assert [(c.title, c.first_line) for c in cells] == [("cell 1", 1)]


def test_markers_split_and_keep_line_numbers() -> None:
    example = "# %% setup\nx = 1\n\n# %% use it\nprint(x)\n#%%\ny = 2\n"
    cells = split_cells(example)
    assert [(c.title, c.first_line) for c in cells] == [("setup", 2), ("use it", 5), ("cell 3", 7)]
    # a cell's source keeps the example's line numbers: an error in it names the example's line
    assert cells[1].source.splitlines()[4] == "print(x)"
    with pytest.raises(NameError) as raised:
        exec(compile(cells[1].source, "ex.py", "exec"), {})
    assert traceback.extract_tb(raised.value.__traceback__)[-1].lineno == 5


def test_code_before_first_marker_is_its_own_cell() -> None:
    cells = split_cells("import os\n# %% later\npass\n")
    assert [c.title for c in cells] == ["cell 1", "later"]
