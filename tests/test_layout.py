"""The package's layout: what `import fastrnn` loads, no import cycles, one llvmlite importer."""
import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "fastrnn"


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_imports(path):
    """``(module names, imported names)`` of the imports at the top level of a module
    (imports inside functions are lazy by design and cannot make a cycle at import)."""
    tree = ast.parse(path.read_text())
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    modules, names = set(), []
    for node in tree.body:
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                modules.add(candidate if (PACKAGE.parent / (candidate.replace(".", "/") + ".py")).exists()
                            or (PACKAGE.parent / candidate.replace(".", "/")).is_dir() else base)
                names.append((base, alias.name))
        elif isinstance(node, ast.If):  # e.g. optional imports
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Import, ast.ImportFrom)):
                    modules |= {alias.name for alias in sub.names} if isinstance(sub, ast.Import) else set()
    return modules, names


def graph():
    """Module -> the fastrnn modules it imports at load, with the packages that
    importing a submodule runs first (but the importer's own packages)."""
    edges = {}
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        own = {".".join(name.split(".")[:k]) for k in range(1, name.count(".") + 2)}
        targets = set()
        for module in module_imports(path)[0]:
            if module.startswith("fastrnn"):
                parts = module.split(".")
                targets |= {".".join(parts[:k]) for k in range(1, len(parts) + 1)} - own
        edges[name] = targets
    return edges


def test_import_fastrnn_loads_no_baseline_or_benchmark_code():
    probe = "import fastrnn, sys; print(sorted(m for m in sys.modules if m.startswith('fastrnn')))"
    loaded = eval(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                 check=True).stdout)
    assert "fastrnn.rnn" in loaded and "fastrnn._kernels.rnn" in loaded
    assert not [m for m in loaded if m.startswith(("fastrnn.course", "fastrnn.compare", "fastrnn.charmodel"))]


def test_warmup_loads_no_baseline_code():
    probe = ("import fastrnn, sys; fastrnn.warmup(('float64',), char_models=False); "
             "print([m for m in sys.modules if m.startswith(('fastrnn.course', 'fastrnn.compare'))])")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "[]"


def test_no_import_cycle():
    edges = graph()
    state = {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in edges.get(node, ()):
            if nxt not in edges:
                continue
            if state.get(nxt) == "open":
                raise AssertionError("import cycle: " + " -> ".join(stack + [node, nxt]))
            if nxt not in state:
                visit(nxt, stack + [node])
        state[node] = "done"

    for node in edges:
        if node not in state:
            visit(node, [])


def test_only_the_vector_code_imports_llvmlite():
    importers = sorted(module_name(p) for p in PACKAGE.rglob("*.py")
                       if any(m.startswith("llvmlite") for m in module_imports(p)[0]))
    assert importers == ["fastrnn._kernels.simd"]


def test_no_private_name_is_imported_from_another_module():
    reached = [(module_name(p), base, name) for p in PACKAGE.rglob("*.py")
               for base, name in module_imports(p)[1]
               if base.startswith("fastrnn") and name.startswith("_") and not name.startswith("__")
               and not (PACKAGE.parent / (base + "." + name).replace(".", "/")).is_dir()
               and not (PACKAGE.parent / ((base + "." + name).replace(".", "/") + ".py")).exists()]
    assert reached == []
