"""The store's primitives: code as text (not docstrings or comments), keys and JSON lines."""

from __future__ import annotations

import json

import pytest

from labkit import PACKAGE_DIR, store


def test_the_dump_ignores_docstrings_comments_and_layout():
    a = 'def f(x):\n    """Doc."""\n    return x + 1  # add\n'
    b = "def f(x):\n\n    # nothing\n    return (x +\n            1)\n"
    assert store.code_dump(a) == store.code_dump(b)
    assert store.code_dump(a) != store.code_dump("def f(x):\n    return x + 2\n")
    assert store.code_dump('def f():\n    """Doc."""\n') == store.code_dump("def f():\n    pass\n")
    assert store.code_dump("x = 'a'") != store.code_dump("x = 'b'")  # strings that are code
    assert store.code_dump("f(a=1)") != store.code_dump("f(b=1)")


def test_the_dump_does_not_depend_on_fields_newer_pythons_add():
    """Python 3.12 adds ``type_params=[]`` to every function and 3.13's ``ast.dump`` drops empty
    fields: the dump leaves out what is empty, so both read the same."""
    import ast

    tree = ast.parse("def f(x):\n    return x\n")
    plain = store._dump(tree)
    tree.body[0].type_params = []  # what 3.12 adds
    assert store._dump(tree) == plain
    assert "type_params" not in plain and "lineno" not in plain


def test_a_bad_source_is_a_syntax_error():
    with pytest.raises(SyntaxError):
        store.code_dump("def f(:\n")


def test_module_file_finds_modules_and_packages():
    assert store.module_file("labkit.clocks.draw") == PACKAGE_DIR / "clocks" / "draw.py"
    assert store.module_file("labkit.clocks") == PACKAGE_DIR / "clocks" / "__init__.py"
    assert store.module_file("labkit.clocks.draw_clock") is None


def test_keys_hold_every_part_in_any_order():
    assert store.key(a=1, b=[1, 2]) == store.key(b=[1, 2], a=1)
    assert store.key(a=1, b=[1, 2]) != store.key(a=1, b=[2, 1])
    assert len(store.key(a=1)) == 20 and len(store.key(a=1, length=8)) == 8


def test_rows_survive_a_cut_line(tmp_path):
    path = tmp_path / "runs.jsonl"
    assert store.read_rows(path) == {}
    store.append_row(path, {"key": "a", "v": 1})
    with path.open("a") as f:
        f.write('{"key": "b", "v"')  # an interrupted write
    store.append_row(path, {"key": "c", "v": 3})
    assert store.read_rows(path) == {"a": {"v": 1}, "c": {"v": 3}}
    assert json.loads(path.read_text().splitlines()[-1]) == {"key": "c", "v": 3}
    with pytest.raises(ValueError, match="'key'"):
        store.append_row(path, {"v": 4})


def test_the_dump_format_is_pinned():
    """The dump of a small module, as Python 3.11.7, 3.12.1 and 3.13.0 all gave it: a Python
    whose syntax trees change the format fails here, before any stored result is orphaned."""
    source = (
        'class A:\n    """Doc."""\n    def f(self, x: int = 1, *a, k=None) -> int:\n'
        "        return [x async for x in a] if k else {x: -1.5}"
    )
    assert store.code_dump(source) == (
        "Module(body=[ClassDef(name=str:'A',body=[FunctionDef(name=str:'f',args=arguments("
        "args=[arg(arg=str:'self'),arg(arg=str:'x',annotation=Name(id=str:'int'))],"
        "vararg=arg(arg=str:'a'),kwonlyargs=[arg(arg=str:'k')],kw_defaults=[Constant()],"
        "defaults=[Constant(value=int:1)]),body=[Return(value=IfExp(test=Name(id=str:'k'),"
        "body=ListComp(elt=Name(id=str:'x'),generators=[comprehension(target=Name(id=str:'x'),"
        "iter=Name(id=str:'a'),is_async=int:1)]),orelse=Dict(keys=[Name(id=str:'x')],"
        "values=[UnaryOp(op=USub(),operand=Constant(value=float:1.5))])))],"
        "returns=Name(id=str:'int'))])])"
    )


def _append_many(path: str, writer: int) -> None:
    for i in range(200):
        store.append_row(path, {"key": f"{writer}-{i}", "pad": "x" * (1_000 + 37 * writer)})


def test_processes_appending_at_once_never_share_a_line(tmp_path):
    import multiprocessing

    path = str(tmp_path / "runs.jsonl")
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_append_many, args=(path, w)) for w in range(3)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    assert len(store.read_rows(path)) == 600  # every row whole; none skipped as cut
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.jsonl"]  # no lock files
