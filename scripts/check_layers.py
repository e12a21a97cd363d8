#!/usr/bin/env python3
"""The layering rules of DESIGN's families, checked on the source.

For each library crate, the top-level modules of `src/` (a file `x.rs` or a
folder `x/`) and the `crate::<module>` paths each one uses give a graph:

1. no import cycle between a crate's top-level modules, except the ones
   listed in KNOWN_CYCLES below with the reason they still exist;
2. a family module (a top-level module named after one of FAMILIES) is
   imported by no core module, and imports no other family.

    python3 scripts/check_layers.py            # exit status 1 on a violation
    python3 scripts/check_layers.py --graph    # print every module's imports

Comments and doc comments are ignored; `crate::{a, b::c}` counts `a` and `b`.
"""

import re
import sys
from pathlib import Path

CRATES = ["auth-core", "auth-actix", "auth-macros"]

# Cargo features that are families (DESIGN: one family, one folder, one feature).
FAMILIES = {"jwt", "knox", "durin", "oauth2", "oidc", "accounts"}

# Cycles that remain, each with why. A cycle not listed here, or larger than
# listed, fails the check; one that disappears should be removed from here.
KNOWN_CYCLES: dict = {}

ROOT = Path(__file__).resolve().parent.parent


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def top_modules(src: Path) -> set[str]:
    modules = set()
    for entry in src.iterdir():
        if entry.is_dir():
            modules.add(entry.name)
        elif entry.suffix == ".rs" and entry.stem not in ("lib", "main"):
            modules.add(entry.stem)
    return modules


def module_of(src: Path, path: Path) -> str:
    first = path.relative_to(src).parts[0]
    return first[:-3] if first.endswith(".rs") else first


def imports(text: str, modules: set[str]) -> set[str]:
    found = set()
    for group in re.findall(r"crate::\{([^}]*)\}", text):
        for item in group.split(","):
            name = item.strip().split("::")[0].strip()
            if name in modules:
                found.add(name)
    for name in re.findall(r"crate::(\w+)", text):
        if name in modules:
            found.add(name)
    return found


def graph(crate: str) -> dict[str, set[str]]:
    src = ROOT / crate / "src"
    modules = top_modules(src)
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for path in src.rglob("*.rs"):
        if path.parent == src and path.stem == "lib":
            continue
        module = module_of(src, path)
        # Unit tests may reach anywhere in their crate.
        text = strip_comments(path.read_text()).split("#[cfg(test)]", 1)[0]
        edges[module] |= imports(text, modules) - {module}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(component)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def main() -> int:
    problems = []
    show = "--graph" in sys.argv
    for crate in CRATES:
        edges = graph(crate)
        if show:
            for module in sorted(edges):
                print(f"{crate}::{module} -> {', '.join(sorted(edges[module])) or '-'}")
        for component in cycles(edges):
            if (crate, frozenset(component)) in KNOWN_CYCLES:
                print(f"known cycle in {crate}: {' <-> '.join(sorted(component))}")
                continue
            problems.append(f"{crate}: import cycle between {', '.join(sorted(component))}")
        for known_crate, known in KNOWN_CYCLES:
            if known_crate == crate and not any(set(known) == c for c in cycles(edges)):
                problems.append(
                    f"{crate}: the known cycle {', '.join(sorted(known))} is gone or changed: "
                    "update KNOWN_CYCLES in scripts/check_layers.py"
                )
        for module, targets in edges.items():
            for target in targets & FAMILIES:
                if module not in FAMILIES:
                    problems.append(f"{crate}: core module `{module}` imports the family `{target}`")
                elif target != module:
                    problems.append(f"{crate}: family `{module}` imports the family `{target}`")
    for problem in problems:
        print(f"check_layers: {problem}", file=sys.stderr)
    if not problems:
        print("check_layers: the layering holds")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
