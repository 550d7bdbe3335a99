"""The wheel carries the decks, and a non-editable install works from another folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (path,) = out.glob("sqlaquiz-*.whl")
    return path


@pytest.mark.slow
def test_wheel_contains_every_deck(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    decks = sorted(p.name for p in (ROOT / "content").glob("*.yaml"))
    assert decks
    for deck in decks:
        assert f"quiz/content/{deck}" in names
    assert "quiz/cli.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "sqlaquiz = quiz.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


@pytest.mark.slow
def test_non_editable_install_runs_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    py = target / "bin" / "python"
    # Dependencies come from this environment (a .pth after the venv's own site-packages),
    # so the check works offline; sqlaquiz itself is installed into the new venv only.
    own = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    Path(own, "zz_outer_env.pth").write_text("\n".join(sorted(ours)) + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(py),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--force-reinstall",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["SQLAQUIZ_HOME"] = str(tmp_path / "home")
    done = subprocess.run(
        [str(target / "bin" / "sqlaquiz"), "list", "--json"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    cards = json.loads(done.stdout)
    assert len(cards) >= 45
    where = subprocess.run(
        [
            str(py),
            "-c",
            "import quiz, quiz.paths; "
            "print(quiz.__file__); print(quiz.paths.bundled_content_dir())",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    module, content = where.stdout.split()
    assert str(target) in module and content.startswith(str(target))
    # an example really runs from the installed package
    run = subprocess.run(
        [str(target / "bin" / "sqlaquiz"), "run", cards[0]["id"], "--json"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["card"] == cards[0]["id"]
