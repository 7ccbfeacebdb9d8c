"""Canonical form and YAML speed: how long a first full backup of N objects spends outside Graph.

    python benchmarks/bench_canonical.py [N]      (default 10000 typical user objects)

Prints objects per second (wall) and µs per object (wall and CPU) for canonicalize, our YAML emitter
(serial and dump_many with 2 processes), the digest of its text, our strict reader, ruamel.yaml's C and
pure-Python parsers, and — for reference — ruamel's own emitter and PyYAML's libyaml emitter and loader when
installed.
"""

from __future__ import annotations

import hashlib
import io
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from entragit import canonical
from entragit.catalog import by_name


def typical_user(i: int, rng: random.Random) -> dict[str, Any]:
    """A Graph user as `$select` returns it: about 1.1 KB of YAML once canonical."""
    first = rng.choice(["Adele", "Alex", "Diego", "Grady", "Isaiah", "Zoë", "Łukasz", "美咲", "Nestor"])
    last = rng.choice(["Vance", "Wilber", "Siciliani", "Archie", "Langer", "Müller", "山田", "O'Neil"])
    upn = f"user{i}@contoso.onmicrosoft.com"
    uid = f"{rng.getrandbits(128):032x}"
    uid = f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:]}"
    return {
        "id": uid,
        "displayName": f"{first} {last}",
        "userPrincipalName": upn,
        "accountEnabled": rng.random() > 0.05,
        "ageGroup": None,
        "assignedLicenses": [{"disabledPlans": [], "skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df"}],
        "assignedPlans": [
            {
                "assignedDateTime": "2022-11-01T10:00:00Z",
                "capabilityStatus": "Enabled",
                "service": svc,
                "servicePlanId": f"{rng.getrandbits(32):08x}-0000-0000-0000-000000000000",
            }
            for svc in ("exchange", "SharePoint", "MicrosoftCommunicationsOnline")
        ],
        "businessPhones": ["+1 425 555 0109"],
        "city": rng.choice(["Redmond", "Seattle", "Zürich", None]),
        "companyName": None,
        "country": "United States",
        "createdDateTime": "2021-09-21T07:09:14Z",
        "creationType": None,
        "deletedDateTime": None,
        "department": rng.choice(["Sales", "Retail", "Legal", "IT", "on"]),
        "employeeId": str(rng.randint(1000, 99999)),
        "givenName": first,
        "identities": [
            {"issuer": "contoso.onmicrosoft.com", "issuerAssignedId": upn, "signInType": "userPrincipalName"}
        ],
        "jobTitle": rng.choice(["Retail Manager", "Marketing Assistant", "Attorney", None]),
        "mail": f"user{i}@contoso.com",
        "mailNickname": f"user{i}",
        "mobilePhone": None,
        "officeLocation": f"{rng.randint(1, 40)}/{rng.randint(1000, 3000)}",
        "onPremisesExtensionAttributes": {f"extensionAttribute{n}": None for n in range(1, 16)},
        "onPremisesSyncEnabled": None,
        "otherMails": [],
        "passwordPolicies": "DisablePasswordExpiration",
        "postalCode": "98052",
        "preferredLanguage": "en-US",
        "proxyAddresses": [f"SMTP:user{i}@contoso.com", f"smtp:user{i}@contoso.onmicrosoft.com"],
        "state": "WA",
        "streetAddress": "One Microsoft Way",
        "surname": last,
        "usageLocation": "US",
        "userType": "Member",
        "lastPasswordChangeDateTime": "2024-05-01T10:00:00Z",
    }


def rate(label: str, n: int, fn: Callable[[], Any]) -> float:
    """Wall time and CPU time of this process (the latter stays meaningful on a busy shared machine)."""
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    per_s = n / elapsed if elapsed else float("inf")
    print(
        f"{label:<50} {n:>7} in {elapsed:6.2f} s {per_s:>9,.0f}/s  "
        f"{elapsed / n * 1e6:7.1f} µs wall {used / n * 1e6:7.1f} µs cpu"
    )
    return elapsed


def main(n: int) -> None:
    rng = random.Random(1)
    users = by_name("users")
    raw = [typical_user(i, rng) for i in range(n)]
    objs: list[dict[str, Any]] = []
    rate(
        "canonicalize",
        n,
        lambda: objs.extend(canonical.canonicalize(users, u, {"manager": None}) for u in raw),
    )
    texts: list[str] = []
    rate("dump (entragit emitter, 1 core)", n, lambda: texts.extend(canonical.dump(o) for o in objs))
    rate(
        "digest (blake2b of the text)",
        n,
        lambda: [hashlib.blake2b(t.encode("utf-8"), digest_size=20).hexdigest() for t in texts],
    )
    rate("dump_many (2 processes)", n, lambda: canonical.dump_many(objs, processes=2))
    size = sum(len(t.encode()) for t in texts) / n
    print(f"{'average file size':<50} {size:,.0f} bytes")
    rate("load (entragit: strict reader for dump's format)", n, lambda: [canonical.load(t) for t in texts])
    assert all(canonical.load(t) == o for t, o in zip(texts[:200], objs[:200], strict=True))

    def ruamel_c_load() -> None:
        for t in texts:
            loader = canonical._LOADER(t)
            loader.get_single_data()
            loader.dispose()

    rate(f"load (ruamel, {canonical.LOADER_KIND} parser)", n, ruamel_c_load)

    from ruamel.yaml import YAML

    small = max(1, n // 10)
    pure = YAML(typ="safe", pure=True)
    rate("load (ruamel pure Python)", small, lambda: [pure.load(t) for t in texts[:small]])
    dumper = YAML(typ="safe", pure=True)
    dumper.width = 1 << 30

    def ruamel_dump() -> None:
        for o in objs[:small]:
            buf = io.StringIO()
            dumper.dump(o, buf)

    rate("reference: ruamel pure dump (typ=safe)", small, ruamel_dump)
    try:
        import yaml  # PyYAML: not a dependency, reference only
    except ImportError:
        return
    if hasattr(yaml, "CSafeDumper"):
        rate(
            "reference: PyYAML libyaml CSafeDumper",
            n,
            lambda: [
                yaml.dump(o, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True) for o in objs
            ],
        )
        rate(
            "reference: PyYAML libyaml CSafeLoader",
            n,
            lambda: [yaml.load(t, Loader=yaml.CSafeLoader) for t in texts],
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
