"""Trace a model's equations into straight-line scalar source (for the numba engine).

A model's ``dfun(y, c, p, m)`` is called with symbols instead of arrays.  Every
arithmetic operation or call of ``m.<function>`` appends one assignment to a
:class:`Trace`, so the result is SSA-style Python source such as::

    t0 = V * r
    t1 = 2.0 * t0
    ...

which the numba engine pastes into its generated kernel (LLVM does the rest:
common subexpressions, constant folding, vectorisation).  ``m.where(c, a, b)``
becomes a conditional expression, evaluated per region.
"""

from __future__ import annotations

import ast
import math
from typing import Any, Callable, Sequence

from ..errors import InputError

__all__ = ["Sym", "Trace", "SymbolicMath", "trace_function", "check_expression", "vjp_source"]


def _lit(x: Any) -> str:
    if isinstance(x, Sym):
        return x.code
    if isinstance(x, bool):
        return "True" if x else "False"
    if isinstance(x, (int, float)):
        v = float(x)
        if math.isinf(v):
            return "math.inf" if v > 0 else "(-math.inf)"
        if math.isnan(v):
            raise InputError("NaN constant in model equations", field="dfun")
        return repr(v)
    try:  # numpy scalars
        return _lit(float(x))
    except Exception as e:  # pragma: no cover - defensive
        raise TypeError(f"cannot trace value of type {type(x).__name__}") from e


class Trace:
    """Collects the assignments produced while tracing one function."""

    def __init__(self, prefix: str = "t"):
        self.lines: list[str] = []
        self.prefix = prefix
        self._n = 0

    def emit(self, expr: str) -> "Sym":
        name = f"{self.prefix}{self._n}"
        self._n += 1
        self.lines.append(f"{name} = {expr}")
        return Sym(self, name)

    def source(self, indent: int = 0) -> str:
        pad = " " * indent
        return "\n".join(pad + ln for ln in self.lines)


class Sym:
    """A traced scalar value; operators record new assignments on its trace."""

    __slots__ = ("trace", "code")

    def __init__(self, trace: Trace, code: str):
        self.trace = trace
        self.code = code

    def _bin(self, op: str, other: Any, reverse: bool = False) -> "Sym":
        a, b = (_lit(other), self.code) if reverse else (self.code, _lit(other))
        return self.trace.emit(f"{a} {op} {b}")

    __add__ = lambda s, o: s._bin("+", o)  # noqa: E731
    __radd__ = lambda s, o: s._bin("+", o, True)  # noqa: E731
    __sub__ = lambda s, o: s._bin("-", o)  # noqa: E731
    __rsub__ = lambda s, o: s._bin("-", o, True)  # noqa: E731
    __mul__ = lambda s, o: s._bin("*", o)  # noqa: E731
    __rmul__ = lambda s, o: s._bin("*", o, True)  # noqa: E731
    __truediv__ = lambda s, o: s._bin("/", o)  # noqa: E731
    __rtruediv__ = lambda s, o: s._bin("/", o, True)  # noqa: E731
    __lt__ = lambda s, o: s._bin("<", o)  # noqa: E731
    __le__ = lambda s, o: s._bin("<=", o)  # noqa: E731
    __gt__ = lambda s, o: s._bin(">", o)  # noqa: E731
    __ge__ = lambda s, o: s._bin(">=", o)  # noqa: E731
    __and__ = lambda s, o: s._bin("and", o)  # noqa: E731
    __or__ = lambda s, o: s._bin("or", o)  # noqa: E731

    def __pow__(self, other: Any) -> "Sym":
        if isinstance(other, (int, float)) and float(other).is_integer() and 1 <= other <= 4:
            return self.trace.emit(" * ".join([self.code] * int(other)))
        return self._bin("**", other)

    def __rpow__(self, other: Any) -> "Sym":
        return self._bin("**", other, True)

    def __neg__(self) -> "Sym":
        return self.trace.emit(f"-{self.code}")

    def __pos__(self) -> "Sym":
        return self

    def __bool__(self):
        raise TypeError(
            "model equations must not branch with Python `if` on states or parameters; use m.where(cond, a, b)"
        )


class SymbolicMath:
    """The math namespace handed to ``dfun`` while tracing."""

    pi = math.pi

    def __init__(self, trace: Trace):
        self._t = trace

    def _call(self, fn: str, *args: Any) -> Sym:
        return self._t.emit(f"{fn}({', '.join(_lit(a) for a in args)})")

    def exp(self, x):
        return self._call("math.exp", x)

    def log(self, x):
        return self._call("math.log", x)

    def sqrt(self, x):
        return self._call("math.sqrt", x)

    def tanh(self, x):
        return self._call("math.tanh", x)

    def sin(self, x):
        return self._call("math.sin", x)

    def cos(self, x):
        return self._call("math.cos", x)

    def abs(self, x):
        return self._call("abs", x)

    def maximum(self, a, b):
        return self._call("max", a, b)

    def minimum(self, a, b):
        return self._call("min", a, b)

    def where(self, cond, a, b):
        return self._t.emit(f"{_lit(a)} if {_lit(cond)} else {_lit(b)}")


class _NS:
    def __init__(self, names: dict[str, str], trace: Trace, kind: str):
        self._kind = kind
        for n, code in names.items():
            object.__setattr__(self, n, Sym(trace, code))

    def __getattr__(self, name):  # only reached for unknown names
        raise InputError(f"equations use unknown {self._kind} {name!r}", field="dfun")


class _CouplingTuple(tuple):
    def __getitem__(self, k):
        try:
            return tuple.__getitem__(self, k)
        except IndexError:
            raise InputError(
                f"equations read coupling input c[{k}] but the coupling function provides only {len(self)}",
                field="coupling",
            ) from None


def trace_function(
    fn: Callable,
    groups: Sequence[tuple[str, Sequence[str], str]],
    n_out: int | None = None,
    prefix: str = "t",
) -> tuple[str, list[str]]:
    """Trace ``fn`` called with symbolic argument groups.

    Parameters
    ----------
    fn : callable
        Called as ``fn(*args, m)``; each arg is built from ``groups``.
    groups : sequence of (kind, names, code_prefix)
        ``kind`` is ``"ns"`` (attribute namespace: ``y.r`` is the symbol
        ``<code_prefix>r``) or ``"tuple"`` (``c[k]`` is ``<code_prefix>k``); a
        ``"sym"`` group passes one bare symbol named ``code_prefix``.
    n_out : int, optional
        Expected number of returned values.
    prefix : str
        Prefix of the temporaries the trace creates.

    Returns
    -------
    source : str
        Assignments, one per line.
    outputs : list of str
        The expression (a name or literal) for each returned value.
    """
    tr = Trace(prefix)
    args: list[Any] = []
    for kind, names, code in groups:
        if kind == "ns":
            args.append(_NS({n: code + n for n in names}, tr, "name"))
        elif kind == "tuple":
            args.append(_CouplingTuple(Sym(tr, f"{code}{k}") for k in range(len(names))))
        else:
            args.append(Sym(tr, code))
    out = fn(*args, SymbolicMath(tr))
    if not isinstance(out, (tuple, list)):
        out = (out,)
    if n_out is not None and len(out) != n_out:
        raise InputError(f"equations return {len(out)} values, expected {n_out}", field="dfun")
    return tr.source(), [_lit(o) for o in out]


_ALLOWED_NODES = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd, ast.Call, ast.Attribute,
)


def check_expression(expr: str, names: Sequence[str], source: str | None = None) -> ast.Expression:
    """Check that an output expression uses only state names, numbers, + - * / ** and ``m.<fn>``."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as e:
        raise InputError(f"cannot parse output expression {expr!r}: {e.msg}", source=source, field="outputs") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise InputError(f"output expression {expr!r} uses unsupported syntax ({type(node).__name__})", source=source, field="outputs")
        if isinstance(node, ast.Name) and node.id not in names and node.id != "m":
            raise InputError(
                f"output expression {expr!r} uses unknown name {node.id!r}; state variables are {', '.join(names)}",
                source=source,
                field="outputs",
            )
    return tree


def expression_function(expr: str) -> Callable:
    """Turn an output expression into ``f(y, m)`` usable by every engine."""
    code = compile(ast.parse(expr, mode="eval"), f"<output {expr}>", "eval")

    def f(y, m):
        env = {k: v for k, v in vars(y).items() if not k.startswith("_")}
        env["m"] = m
        return eval(code, {"__builtins__": {}}, env)

    return f


# ---------------------------------------------------------------------------
# reverse mode on traced source (the numba adjoint of braintwin.simulate.adjoint)

_DERIV = {  # d f(u) / du as source, given the argument's source ``u``
    "math.exp": lambda u: f"math.exp({u})",
    "math.log": lambda u: f"(1.0 / ({u}))",
    "math.sqrt": lambda u: f"(0.5 / math.sqrt({u}))",
    "math.tanh": lambda u: f"(1.0 - math.tanh({u}) ** 2)",
    "math.sin": lambda u: f"math.cos({u})",
    "math.cos": lambda u: f"(-math.sin({u}))",
    "abs": lambda u: f"(1.0 if ({u}) >= 0.0 else -1.0)",
}


def vjp_source(body: str, outputs: Sequence[str], wrt: Sequence[str], cotangents: Sequence[str], prefix: str = "a_") -> tuple[str, list[str]]:
    """Reverse-mode source of traced straight-line code (:func:`trace_function`).

    Given the assignments ``body`` that compute ``outputs`` from the names
    ``wrt``, returns source that, *after* ``body`` has run, accumulates the
    vector-Jacobian product ``sum_k cotangents[k] d outputs[k] / d wrt[j]`` into
    ``<prefix><wrt[j]>``.  Each assignment is differentiated by the rules of
    its operations (``+ - * / **``, unary minus, ``math.exp/log/sqrt/tanh/sin/cos``,
    ``abs``, ``max``/``min`` and ``a if cond else b``, which pass the cotangent
    to the branch taken; comparisons carry none), last line first, as a reverse
    sweep does.  So a model's derivatives come from the same single definition
    of its equations as every engine, with no second copy to keep in step.

    Returns
    -------
    source : str
        Lines: adjoints initialised to zero, then the reverse sweep.
    adjoints : list of str
        The adjoint variable of each name of ``wrt``.
    """
    lines = [ln for ln in body.splitlines() if ln.strip()]
    assigned = [ln.split("=", 1)[0].strip() for ln in lines]
    active = set(wrt) | set(assigned)
    adj = {v: prefix + v for v in active}
    out = [f"{adj[v]} = 0.0" for v in list(wrt) + assigned]
    for o, g in zip(outputs, cotangents):
        if o in active:
            out.append(f"{adj[o]} += {g}")

    def src(node) -> str:
        return "(" + ast.unparse(node) + ")"

    def back(node, g: str) -> None:
        if isinstance(node, ast.Name):
            if node.id in active:
                out.append(f"{adj[node.id]} += {g}")
        elif isinstance(node, ast.Constant):
            return
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                back(node.operand, f"(-{g})")
            elif isinstance(node.op, ast.UAdd):
                back(node.operand, g)
        elif isinstance(node, ast.BinOp):
            a, b = node.left, node.right
            if isinstance(node.op, ast.Add):
                back(a, g), back(b, g)
            elif isinstance(node.op, ast.Sub):
                back(a, g), back(b, f"(-{g})")
            elif isinstance(node.op, ast.Mult):
                back(a, f"{g} * {src(b)}"), back(b, f"{g} * {src(a)}")
            elif isinstance(node.op, ast.Div):
                back(a, f"{g} / {src(b)}"), back(b, f"(-{g} * {src(a)} / ({src(b)} * {src(b)}))")
            elif isinstance(node.op, ast.Pow):
                back(a, f"{g} * {src(b)} * {src(a)} ** ({src(b)} - 1.0)")
                if not isinstance(b, ast.Constant):
                    back(b, f"{g} * {src(a)} ** {src(b)} * math.log({src(a)})")
            else:
                raise InputError(f"cannot differentiate operator {type(node.op).__name__}", field="dfun")
        elif isinstance(node, ast.IfExp):
            back(node.body, f"({g} if {src(node.test)} else 0.0)")
            back(node.orelse, f"(0.0 if {src(node.test)} else {g})")
        elif isinstance(node, ast.Call):
            fn = ast.unparse(node.func)
            if fn in _DERIV:
                u = node.args[0]
                back(u, f"{g} * {_DERIV[fn](ast.unparse(u))}")
            elif fn in ("max", "min"):
                a, b = node.args
                cmp = ">=" if fn == "max" else "<="
                back(a, f"({g} if {src(a)} {cmp} {src(b)} else 0.0)")
                back(b, f"(0.0 if {src(a)} {cmp} {src(b)} else {g})")
            else:
                raise InputError(f"cannot differentiate {fn}()", field="dfun")
        elif isinstance(node, (ast.Compare, ast.BoolOp)):
            return  # a condition carries no derivative
        else:
            raise InputError(f"cannot differentiate {type(node).__name__}", field="dfun")

    for ln, name in zip(reversed(lines), reversed(assigned)):
        expr = ast.parse(ln.split("=", 1)[1].strip(), mode="eval").body
        back(expr, adj[name])
    return "\n".join(out), [adj[v] for v in wrt]
