"""The package's rooms stay apart: no import cycles at all, and the core never imports a command."""

from __future__ import annotations

import ast
from pathlib import Path

QUIZ = Path(__file__).resolve().parent.parent / "quiz"


def _modules() -> dict[str, Path]:
    found = {}
    for path in QUIZ.rglob("*.py"):
        parts = path.relative_to(QUIZ.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def imports(module: str) -> set[str]:
    """Every quiz module `module` imports: at the top, under TYPE_CHECKING or inside a function."""
    out = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                out.add(name if name in MODULES else node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {name for name in out if name in MODULES and name != module}


def test_the_import_graph_finds_what_it_should() -> None:
    assert {"quiz.review.session", "quiz.progress.store", "quiz.ui.session_views"} <= set(MODULES)
    assert "quiz.review.queue" in imports("quiz.ui.session_views")
    assert "quiz.progress.store" in imports("quiz.commands.progress")  # inside a function


def test_no_module_imports_itself_back() -> None:
    graph = {module: imports(module) for module in MODULES}
    cycles = []
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        for dep in sorted(graph[module]):
            if dep in path:
                cycles.append(" -> ".join([*path[path.index(dep) :], dep]))
            elif dep not in done:
                visit(dep, [*path, dep])
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    assert cycles == []


def test_the_core_never_imports_a_command() -> None:
    for module in MODULES:
        if module.startswith(("quiz.commands", "quiz.cli", "quiz.__main__")):
            continue
        used = imports(module)
        assert not {m for m in used if m.startswith(("quiz.commands", "quiz.cli"))}, module
