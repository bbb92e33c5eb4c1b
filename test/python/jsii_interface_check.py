"""Runtime type checks of jsii interfaces as the jsii runtime users install performs them, under typeguard 4.

Installed into the check's virtualenv by scripts/check-python.sh (a .pth line imports it at start-up), so it applies to
the example app and to every test alike.

Why: the jsii Python runtime on PyPI pins typeguard 2.13.3, which does not check the members of jsii interfaces (they
are non-runtime Protocols). The only runtime available offline (../shared/python) allows typeguard 4, whose protocol
check compares the parameter *names* of every member, and aws-cdk-lib's own classes fail it: for example
`iam.ArnPrincipal.add_to_principal_policy(_statement)` against `IPrincipal.add_to_principal_policy(statement)`, so
any app that passes an `ArnPrincipal` fails (aws/jsii#4658, aws/aws-cdk#31749; upstream's fix is the typeguard pin).

What it does: for a jsii interface only, it replaces typeguard 4's structural check with a check that the value is a
jsii object (an instance of a jsii class, a class decorated with `@jsii.implements`, or an object from the jsii
kernel). That is stricter than what users get (typeguard 2.13.3 accepts anything, a string included, for an
interface) and leaves every other check (structs, enums, classes, primitives, every item of a collection) to
typeguard 4. The parameter names of this library's own interfaces are checked separately by test_python_api.py.
"""
from typing import Any, Optional, Tuple

import typeguard


def _is_jsii_interface(origin_type: Any) -> bool:
    return getattr(origin_type, "_is_protocol", False) and hasattr(origin_type, "__jsii_type__")


def _check_jsii_interface(value: Any, origin_type: Any, args: Tuple[Any, ...], memo: Any) -> None:
    if hasattr(type(value), "__jsii_type__") or hasattr(value, "__jsii_ref__"):
        return
    raise typeguard.TypeCheckError(f"is not a jsii object, so it cannot implement {origin_type.__qualname__}")


def _lookup(origin_type: Any, args: Tuple[Any, ...], extras: Tuple[Any, ...]) -> Optional[Any]:
    return _check_jsii_interface if _is_jsii_interface(origin_type) else None


if _lookup not in typeguard.checker_lookup_functions:
    typeguard.checker_lookup_functions.insert(0, _lookup)
