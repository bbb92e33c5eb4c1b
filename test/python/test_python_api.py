"""What jsii renders in the generated Python API, checked where Python users would trip over it.

- Names: no Python keyword (jsii-pacmak would escape it with a trailing underscore, `lambda_`), and no parameter that
  shadows a Python builtin, except `id` (the construct ID: the CDK convention in every language, aws-cdk-lib included).
- Types: no parameter, property or return typed `typing.Any` (the user gets no completion and no runtime check), except
  the `is_distribution_configuration(x)` type guard, which takes anything by design, and the `Dict[str, Any]` that
  jsii offers next to every struct class (a struct may be passed as a dict).
- Docs: no TypeScript code in a docstring (`new X(`, arrow functions, `const`, type annotations, ts code blocks).
- This library's interfaces: every implementation names its parameters as the interface does. In Python, parameter
  names are part of the signature (keyword arguments), so a mismatch breaks `grant(grantee=...)` on one of them and
  fails typeguard 4's protocol check and pyright (as aws-cdk-lib's IPrincipal does, see jsii_interface_check.py).
"""
import builtins
import inspect
import keyword
import re
import typing
import unittest

import cdk_imagebuilder_distribution as lib

ALLOWED_BUILTIN_PARAMETERS = {"id"}
ALLOWED_ANY = {"DistributionConfiguration.is_distribution_configuration(x)"}
TYPESCRIPT = re.compile(
    r"new [A-Z]\w*\(|=>|\b(const|let) \w+ =|```(ts|typescript)\b|:\s*(string|number|boolean)\b|\breadonly ")


def public_types():
    return [(name, getattr(lib, name)) for name in lib.__all__ if not name.startswith("_")]


def members(cls):
    """(qualified name, function, kind) of the public members a class declares, its initializer included."""
    out = []
    for name, raw in vars(cls).items():
        if name.startswith("_") and name != "__init__":
            continue
        if isinstance(raw, property):
            out.append((f"{cls.__name__}.{name}", raw.fget, "property"))
        elif isinstance(raw, (classmethod, staticmethod)):
            out.append((f"{cls.__name__}.{name}", raw.__func__, "method"))
        elif inspect.isfunction(raw):
            out.append((f"{cls.__name__}.{name}", raw, "method"))
    return out


def contains_bare_any(hint):
    """typing.Any anywhere in the hint, except the Dict[str, Any] alternative jsii adds to struct parameters."""
    if hint is typing.Any:
        return True
    args = typing.get_args(hint)
    if typing.get_origin(hint) is typing.Union:
        has_struct = any(inspect.isclass(a) and a is not type(None) for a in args)
        args = [a for a in args if not (has_struct and typing.get_origin(a) is dict)]
    return any(contains_bare_any(a) for a in args)


class GeneratedPythonApiTest(unittest.TestCase):
    maxDiff = None

    def test_the_package_exports_every_type(self):
        self.assertGreaterEqual(len(public_types()), 20)

    def test_names(self):
        problems = []
        for _, cls in public_types():
            for member in vars(cls):
                if keyword.iskeyword(member.rstrip("_")) or (member.endswith("_") and not member.startswith("_")):
                    problems.append(f"{cls.__name__}.{member}: escaped Python keyword")
            for qualified, func, _ in members(cls):
                for p in list(inspect.signature(func).parameters)[1:]:
                    if keyword.iskeyword(p.rstrip("_")) or p.endswith("_"):
                        problems.append(f"{qualified}({p}): escaped Python keyword")
                    elif p in dir(builtins) and p not in ALLOWED_BUILTIN_PARAMETERS:
                        problems.append(f"{qualified}({p}): shadows the builtin {p}")
        self.assertEqual(problems, [])

    def test_no_untyped_props(self):
        problems, checked = [], 0
        for _, cls in public_types():
            for qualified, func, _ in members(cls):
                for p, hint in typing.get_type_hints(func).items():
                    checked += 1
                    where = f"{qualified}({p})" if p != "return" else f"{qualified} -> "
                    if contains_bare_any(hint) and where not in ALLOWED_ANY:
                        problems.append(f"{where}: {hint}")
        self.assertGreater(checked, 100, "the type hints were not read")
        self.assertEqual(problems, [])

    def test_no_typescript_in_docstrings(self):
        problems, checked = [], 0
        for _, cls in public_types():
            docs = [(cls.__name__, cls.__doc__)] + [(q, f.__doc__) for q, f, _ in members(cls)]
            for where, doc in docs:
                if doc:
                    checked += 1
                    for match in TYPESCRIPT.finditer(doc):
                        context = doc[max(0, match.start() - 60):match.end() + 60]
                        problems.append(f"{where}: {match.group(0)!r} in {context!r}")
        self.assertGreater(checked, 100, "the docstrings were not read")
        self.assertEqual(problems, [])

    def test_implementations_name_parameters_as_their_interfaces(self):
        problems, checked = [], 0
        interfaces = [cls for _, cls in public_types() if getattr(cls, "_is_protocol", False)]
        self.assertEqual({i.__name__ for i in interfaces},
                         {"IDistributionConfiguration", "IInfrastructureConfiguration"})
        implementations = [cls for _, cls in public_types()
                           if inspect.isclass(cls) and not getattr(cls, "_is_protocol", False)]
        for interface in interfaces:
            proxy = interface.__jsii_proxy_class__()
            for impl in [proxy] + [c for c in implementations if interface in getattr(c, "__jsii_ifaces__", ())]:
                for name, raw in vars(interface).items():
                    if name.startswith("_") or not inspect.isfunction(raw):
                        continue
                    expected = list(inspect.signature(raw).parameters)
                    actual = list(inspect.signature(getattr(impl, name)).parameters)
                    checked += 1
                    if actual != expected:
                        problems.append(f"{impl.__name__}.{name}{tuple(actual)} != "
                                        f"{interface.__name__}.{name}{tuple(expected)}")
        self.assertGreaterEqual(checked, 6)
        self.assertEqual(problems, [])


if __name__ == "__main__":
    unittest.main()
