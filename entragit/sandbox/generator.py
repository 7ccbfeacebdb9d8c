"""A deterministic, realistic tenant of any size, for `sandbox serve --users N`, the tests and the benchmarks.

"Realistic" means the shapes and proportions backup and restore code meets in real tenants: members and
guests, a few accounts synced from on-premises, disabled accounts that still hold licences, a management
chain, groups of every kind Graph distinguishes (some of which Graph refuses to write), dynamic groups whose
members really match their rule, apps with secrets (metadata only) and permissions, conditional access
policies that point at real users, groups, roles and locations, and a few soft-deleted objects.

Everything comes from one `random.Random(rng_seed)` and a fixed clock, so the same arguments always give the
same tenant. The generator is written for 100,000 users in a few seconds: name pools are precomputed, no
object is deep-copied, and member lists are drawn with `random.sample` over index ranges.
"""

from __future__ import annotations

import base64
import gc
import random
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from entragit.sandbox import agreements, baseline, custom_attributes, domains, token_policies
from entragit.sandbox.agents import agent_objects
from entragit.sandbox.baseline import (
    EXCHANGE_APP_ID,
    GRAPH_APP_ID,
    GRAPH_ROLE_IDS,
    GRAPH_SCOPE_IDS,
    ROLE_IDS,
    SANDBOX_DOMAIN,
    SANDBOX_ORG_NAME,
    SANDBOX_TENANT_ID,
    SHAREPOINT_APP_ID,
    SKU_IDS,
    iso,
    iso7,
    security_identifier,
    user_extras,
)
from entragit.sandbox.names import (
    APP_WORDS,
    CJK_NAMES,
    DEPARTMENTS,
    EMOJI,
    GIVEN_NAMES,
    OFFICES,
    PARTNER_DOMAINS,
    PROJECT_WORDS,
    SURNAMES,
    ascii_fold,
    nickname,
)
from entragit.sandbox.schema import group_record

Obj = dict[str, Any]
ON_PREM_DOMAIN = "corp.contoso.com"
ON_PREM_SID_PREFIX = "S-1-5-21-2146773085-903363285-719344707-"
ZERO_GUID = "00000000-0000-0000-0000-000000000000"

# Hand-picked people for the demo tenant: (given, surname, department, jobTitle, office index).
DEMO_PEOPLE = (
    ("Megan", "Bowen", "IT", "Chief Information Officer", 0),
    ("Alex", "Wilber", "IT", "Systems Administrator", 0),
    ("Zoë", "Müller", "Engineering", "Engineering Manager", 5),
    ("José", "Álvarez", "Sales", "Sales Director", 7),
    ("Łukasz", "Nowak", "Engineering", "Senior Software Engineer", 5),
    ("陽子", "田中", "Research & Development", "Research Scientist", 8),
    ("Chloé", "Dubois", "Marketing", "Product Marketing Manager", 4),
    ("Søren", "Øvergaard", "Finance", "Controller", 3),
    ("Priya", "Raman", "Human Resources", "HR Business Partner", 10),
    ("Kwame", "Mensah", "Customer Success", "Customer Success Manager", 3),
    ("Lidia", "Holloway", "Legal", "Corporate Counsel", 1),
    ("Diego", "Siciliani", "Sales", "Account Executive", 7),
    ("Isaiah", "Langer", "Sales", "Inside Sales Representative", 1),
    ("Johanna", "Lorenz", "Engineering", "Site Reliability Engineer", 6),
    ("Lee", "Gu", "Engineering", "Software Engineer", 9),
    ("Nestor", "Wilke", "Operations", "Operations Manager", 0),
    ("Patti", "Fernandez", "Finance", "Financial Analyst", 1),
    ("Pradeep", "Gupta", "IT", "Security Analyst", 10),
    ("Miriam", "Graham", "Marketing", "Brand Manager", 2),
    ("Grady", "Archie", "Research & Development", "Product Designer", 0),
)
DEMO_GUESTS = (
    ("Ana", "Bowman", "fabrikam.com"),
    ("Kenji", "Watanabe", "northwindtraders.com"),
    ("Fatima", "Haddad", "gmail.com"),
)


_CLEAR_VERSION_VARIANT = ~((0xF000 << 64) | (0xC000 << 48))
_SET_VERSION_4_VARIANT = (0x4000 << 64) | (0x8000 << 48)


class _Ids:
    """GUIDs drawn from the generator's RNG, so they are random-looking yet reproducible.

    Same bits as `str(uuid.UUID(int=..., version=4))`, formatted directly: that constructor is the single
    most expensive step when minting half a million ids.
    """

    def __init__(self, rng: random.Random) -> None:
        self._bits = rng.getrandbits

    def __call__(self) -> str:
        h = f"{(self._bits(128) & _CLEAR_VERSION_VARIANT) | _SET_VERSION_4_VARIANT:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _b64_id(*guids: str) -> str:
    """The 43-character base64url ids Graph uses for grants and app role assignments."""
    raw = b"".join(uuid.UUID(g).bytes_le for g in guids)[:32]
    return base64.urlsafe_b64encode(raw.ljust(32, b"\0")).decode("ascii").rstrip("=")


class TenantGenerator:
    """Builds one seed dict; each `_make_*` method adds one collection and may read what earlier ones made."""

    def __init__(self, users: int, rng_seed: int, now: datetime, demo: bool) -> None:
        self.n = max(0, users)
        self.rng = random.Random(rng_seed)
        self.random = self.rng.random
        self.new_id = _Ids(self.rng)
        # Naive UTC with whole seconds: the cheapest datetimes to shift and format.
        self.now = now.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0) if now.tzinfo else now
        self.demo = demo
        self.tenant_id = SANDBOX_TENANT_ID
        self.domain = SANDBOX_DOMAIN
        self.graph_sp_id = baseline.stable_id(self.tenant_id, "sp:microsoft-graph")
        # the guests' terms of use (`_agreements`), which the guests' conditional access policy requires
        self.agreement_id = baseline.stable_id(self.tenant_id, "agreement:guests")
        self.users: list[Obj] = []
        self.members: list[Obj] = []  # member users, enabled or not
        self.guests: list[Obj] = []
        self.by_department: dict[str, list[str]] = {}
        self.by_office: dict[int, list[str]] = {}
        self.groups: list[Obj] = []
        self.apps: list[Obj] = []
        self.sps: list[Obj] = []
        self.graph_assignments: list[Obj] = []
        self.deleted: list[Obj] = []
        self.named_locations: list[Obj] = []
        self.aus: list[Obj] = []
        self.role_defs: list[Obj] = []
        self.role_assignments: list[Obj] = []
        self.eligible: list[Obj] = []  # PIM eligibility schedules
        self.timed: list[Obj] = []  # PIM active schedules that end (time-bound or activated)
        self.group_eligible: list[Obj] = []  # PIM for Groups eligibility schedules
        self.group_timed: list[Obj] = []  # PIM for Groups active schedules (time-bound, activated)
        self.strengths: list[Obj] = []
        self.contexts: list[Obj] = []
        self.break_glass: list[str] = []
        self._upns: set[str] = set()
        self._upn_next: dict[str, int] = {}
        self._nicknames: set[str] = set()
        self._display_names: set[str] = set()
        self._index: dict[
            tuple[str, ...], list[str]
        ] = {}  # dynamic-rule attribute tuples -> matching user ids
        self._guest_rule_used = False

    # --- helpers ------------------------------------------------------------------------------------------

    def ago(self, max_days: float, min_days: float = 0.0) -> datetime:
        """A moment between min_days and max_days before the clock, to the second."""
        span = (max_days - min_days) * 86400
        return self.now - timedelta(seconds=int(min_days * 86400 + self.random() * span))

    def pick(self, seq: Sequence[Any]) -> Any:
        """rng.choice without its overhead (the generator calls this about a million times)."""
        return seq[int(self.random() * len(seq))]

    def ago7(self, max_days: float, min_days: float = 0.0) -> datetime:
        """Like `ago`, with the sub-second part conditional access timestamps carry."""
        seconds = self.rng.uniform(min_days * 86400, max_days * 86400)
        return self.now - timedelta(seconds=seconds)

    def unique_upn(self, local: str, domain: str) -> str:
        """`first.last@domain`, then `first.last2@domain`...; a per-name counter keeps common names O(1)."""
        local = local.strip(".") or "user"
        candidate = f"{local}@{domain}"
        n = self._upn_next.get(candidate, 1)
        while candidate in self._upns:
            n += 1
            candidate = f"{local}{n}@{domain}"
        self._upn_next[f"{local}@{domain}"] = n
        self._upns.add(candidate)
        return candidate

    def unique_nickname(self, base: str) -> str:
        base = base[:56] or "group"
        candidate, n = base, 1
        while candidate in self._nicknames:
            n += 1
            candidate = f"{base}{n}"
        self._nicknames.add(candidate)
        return candidate

    def unique_display(self, name: str) -> str:
        candidate, n = name, 1
        while candidate in self._display_names:
            n += 1
            candidate = f"{name} {n}"
        self._display_names.add(candidate)
        return candidate

    # --- users ----------------------------------------------------------------------------------------------

    def _person(self, index: int) -> tuple[str, str, str, str, str]:
        """(given, surname, displayName, ascii given, ascii surname) for the index-th generated person."""
        rng = self.rng
        if rng.random() < 0.03:
            return self.pick(CJK_NAMES)
        given = self.pick(GIVEN_NAMES)
        surname = self.pick(SURNAMES)
        return given, surname, f"{given} {surname}", ascii_fold(given), ascii_fold(surname)

    def _make_users(self) -> None:
        n = self.n
        rng = self.rng
        if self.demo:
            n_guests = len(DEMO_GUESTS)
            n_members = max(0, n - n_guests)
        else:
            n_guests = max(1, round(n * 0.06)) if n >= 10 else 0
            n_members = n - n_guests
        licensed_skus = (SKU_IDS["ENTERPRISEPACK"], SKU_IDS["AAD_PREMIUM"])
        ems = SKU_IDS["EMS"]
        flow = SKU_IDS["FLOW_FREE"]
        dept_count = len(DEPARTMENTS)
        domain = self.domain
        heads: dict[int, int] = {}  # member index -> department index of its subtree

        break_glass_from = n_members - 2 if n_members >= 8 else n_members
        for i in range(n_members):
            if i >= break_glass_from:
                self._make_break_glass(i - break_glass_from + 1)
                continue
            if self.demo and i < len(DEMO_PEOPLE):
                given, surname, dept_name, title, office_index = DEMO_PEOPLE[i]
                cjk = next((c for c in CJK_NAMES if c[0] == given and c[1] == surname), None)
                if cjk:
                    display, a_given, a_surname = cjk[2], cjk[3], cjk[4]
                else:
                    display, a_given, a_surname = f"{given} {surname}", ascii_fold(given), ascii_fold(surname)
                dept_index = next(k for k, d in enumerate(DEPARTMENTS) if d[0] == dept_name)
            else:
                given, surname, display, a_given, a_surname = self._person(i)
                # The top two levels of the management tree spread over all departments; below them,
                # people work in their manager's department, so department groups follow the org chart.
                if i <= 42:
                    dept_index = (i - 1) % dept_count
                else:
                    dept_index = heads.get((i - 1) // 6, rng.randrange(dept_count))
                dept_name, titles = DEPARTMENTS[dept_index]
                title = self.pick(titles)
                if i == 0:
                    dept_name, title = "Executive", "Chief Executive Officer"
                office_index = (
                    int(rng.random() * len(OFFICES)) if rng.random() < 0.6 else (i // 40) % len(OFFICES)
                )
                if rng.random() < 0.006:
                    display = f"{display} {self.pick(EMOJI)}"
            heads[i] = dept_index
            local = f"{nickname(a_given)}.{nickname(a_surname)}"
            upn = self.unique_upn(local, domain)
            user_id = self.new_id()
            city, country, usage, language, phone, _street = OFFICES[office_index]
            created = self.ago(1100, 3)
            # Some leavers keep their licences: exactly the waste the seats report exists to show.
            disabled = i > 2 and rng.random() < 0.04  # drawn in demo mode too: keeps the demo's stream stable
            enabled = not disabled if not self.demo else i != 16
            synced = (i > 2 and rng.random() < 0.1) if not self.demo else i in (12, 13, 15)
            licenses: list[Obj] = []
            if i < 3 or rng.random() < 0.88:
                licenses = [{"disabledPlans": [], "skuId": sku} for sku in licensed_skus]
                if rng.random() < 0.15:
                    licenses.append({"disabledPlans": [], "skuId": ems})
            elif rng.random() < 0.5:
                licenses = [{"disabledPlans": [], "skuId": flow}]
            mail = upn if licenses else None
            user: Obj = {
                "id": user_id,
                "deletedDateTime": None,
                "accountEnabled": enabled,
                "ageGroup": None,
                "businessPhones": [f"{phone}{100 + i % 900}"] if rng.random() < 0.7 else [],
                "city": city,
                "companyName": SANDBOX_ORG_NAME,
                "country": country,
                "createdDateTime": iso(created),
                "creationType": None,
                "department": dept_name,
                "displayName": display,
                "employeeHireDate": iso(created - timedelta(days=int(rng.random() * 20))),
                "employeeId": f"{100000 + i}",
                "employeeType": "Employee" if rng.random() < 0.9 else "Contractor",
                "externalUserState": None,
                "externalUserStateChangeDateTime": None,
                "givenName": given,
                "identities": [
                    {"signInType": "userPrincipalName", "issuer": domain, "issuerAssignedId": upn}
                ],
                "jobTitle": title,
                "lastPasswordChangeDateTime": iso(self.ago(min(90.0, (self.now - created).days + 1))),
                "mail": mail,
                "mailNickname": upn.split("@", 1)[0],
                "mobilePhone": f"+1 425 555 {1000 + int(rng.random() * 9000)}"
                if rng.random() < 0.4
                else None,
                "officeLocation": f"{city} {1 + int(rng.random() * 39)}/{1000 + int(rng.random() * 3000)}",
                "onPremisesDistinguishedName": None,
                "onPremisesDomainName": None,
                "onPremisesImmutableId": None,
                "onPremisesLastSyncDateTime": None,
                "onPremisesSamAccountName": None,
                "onPremisesSecurityIdentifier": None,
                "onPremisesSyncEnabled": None,
                "onPremisesUserPrincipalName": None,
                "otherMails": [],
                "passwordPolicies": None,
                "postalCode": None,
                "preferredLanguage": language,
                "proxyAddresses": [f"SMTP:{mail}"] if mail else [],
                "securityIdentifier": security_identifier(user_id),
                "state": None,
                "streetAddress": None,
                "surname": surname,
                "usageLocation": usage,
                "userPrincipalName": upn,
                "userType": "Member",
                "assignedLicenses": licenses,
                **user_extras(licenses, iso(created + timedelta(hours=2)) if licenses else None),
            }
            if synced:
                sam = (nickname(a_given)[:1] + nickname(a_surname))[:20] or f"user{i}"
                user.update(
                    onPremisesDistinguishedName=f"CN={ascii_fold(display)},OU=Users,OU={ascii_fold(city)},"
                    "DC=corp,DC=contoso,DC=com",
                    onPremisesDomainName=ON_PREM_DOMAIN,
                    onPremisesImmutableId=base64.b64encode(uuid.UUID(self.new_id()).bytes_le).decode("ascii"),
                    onPremisesLastSyncDateTime=iso(self.now - timedelta(minutes=23)),
                    onPremisesSamAccountName=sam,
                    onPremisesSecurityIdentifier=f"{ON_PREM_SID_PREFIX}{1100 + i}",
                    onPremisesSyncEnabled=True,
                    onPremisesUserPrincipalName=upn,
                    onPremisesExtensionAttributes={
                        **{f"extensionAttribute{k}": None for k in range(1, 16)},
                        "extensionAttribute1": "FTE" if user["employeeType"] == "Employee" else "CTR",
                    },
                )
            if enabled and rng.random() < 0.8:
                last = self.ago(20)
                user["signInActivity"] = {
                    "lastSignInDateTime": iso(last),
                    "lastSignInRequestId": self.new_id(),
                    "lastNonInteractiveSignInDateTime": iso(self.ago(2)),
                    "lastNonInteractiveSignInRequestId": self.new_id(),
                    "lastSuccessfulSignInDateTime": iso(last),
                    "lastSuccessfulSignInRequestId": self.new_id(),
                }
            if i:
                manager_index = (i - 1) // 6
                if not (i > 10 and rng.random() < 0.03):  # a few people have no manager recorded
                    user["manager"] = self.members[manager_index]["id"]
            self.members.append(user)
            self.by_department.setdefault(dept_name, []).append(user_id)
            self.by_office.setdefault(office_index, []).append(user_id)
            index = self._index
            for key in ((dept_name, city), (dept_name, city, title), (usage,), (usage, dept_name)):
                bucket = index.get(key)
                if bucket is None:
                    index[key] = [user_id]
                else:
                    bucket.append(user_id)

        for i in range(n_guests):
            if self.demo and i < len(DEMO_GUESTS):
                given, surname, partner = DEMO_GUESTS[i]
                issuer = next((iss for dom, iss in PARTNER_DOMAINS if dom == partner), "ExternalAzureAD")
                display, a_given, a_surname = f"{given} {surname}", ascii_fold(given), ascii_fold(surname)
            else:
                given, surname, display, a_given, a_surname = self._person(i)
                partner, issuer = self.pick(PARTNER_DOMAINS)
            external_mail = f"{nickname(a_given)}.{nickname(a_surname)}@{partner}"
            local = external_mail.replace("@", "_") + "#EXT#"
            upn = self.unique_upn(local, domain)
            external_mail = upn.split("#EXT#", 1)[0].rsplit("_", 1)[0] + "@" + partner
            user_id = self.new_id()
            created = self.ago(700, 1)
            accepted = rng.random() < 0.8 or (self.demo and i == 0)
            guest: Obj = {
                "id": user_id,
                "deletedDateTime": None,
                "accountEnabled": True,
                "ageGroup": None,
                "businessPhones": [],
                "city": None,
                "companyName": partner.split(".")[0].capitalize() if issuer == "ExternalAzureAD" else None,
                "country": None,
                "createdDateTime": iso(created),
                "creationType": "Invitation",
                "department": None,
                "displayName": display,
                "employeeHireDate": None,
                "employeeId": None,
                "employeeType": None,
                "externalUserState": "Accepted" if accepted else "PendingAcceptance",
                "externalUserStateChangeDateTime": iso(created + timedelta(hours=rng.randrange(1, 72)))
                if accepted
                else iso(created),
                "givenName": given,
                # B2B guests sign in at their home identity provider: another Entra tenant, a Microsoft
                # account, or a one-time passcode sent by mail.
                "identities": [{"signInType": "federated", "issuer": issuer, "issuerAssignedId": None}],
                "jobTitle": None,
                "lastPasswordChangeDateTime": None,
                "mail": external_mail,
                "mailNickname": upn.split("@", 1)[0],
                "mobilePhone": None,
                "officeLocation": None,
                "onPremisesSyncEnabled": None,
                "otherMails": [external_mail],
                "passwordPolicies": None,
                "preferredLanguage": None,
                "proxyAddresses": [f"SMTP:{external_mail}"],
                "securityIdentifier": security_identifier(user_id),
                "surname": surname,
                "usageLocation": None,
                "userPrincipalName": upn,
                "userType": "Guest",
                "assignedLicenses": [],
                **user_extras([], None),
            }
            self.guests.append(guest)
        self.users = self.members + self.guests

    def _make_break_glass(self, number: int) -> None:
        """Emergency-access accounts: cloud-only Global Administrators excluded from every CA policy."""
        upn = self.unique_upn(f"breakglass{number}", self.domain)
        user_id = self.new_id()
        self.members.append(
            {
                "id": user_id,
                "deletedDateTime": None,
                "accountEnabled": True,
                "businessPhones": [],
                "createdDateTime": iso(self.ago(1100, 900)),
                "creationType": None,
                "department": None,
                "displayName": f"Break Glass Admin {number}",
                "givenName": None,
                "identities": [
                    {"signInType": "userPrincipalName", "issuer": self.domain, "issuerAssignedId": upn}
                ],
                "jobTitle": None,
                "mail": None,
                "mailNickname": upn.split("@", 1)[0],
                "mobilePhone": None,
                "officeLocation": None,
                "onPremisesSyncEnabled": None,
                "otherMails": [],
                "passwordPolicies": "DisablePasswordExpiration",
                "preferredLanguage": None,
                "proxyAddresses": [],
                "securityIdentifier": security_identifier(user_id),
                "surname": None,
                "usageLocation": "US",
                "userPrincipalName": upn,
                "userType": "Member",
                "assignedLicenses": [],
                **user_extras([], None),
            }
        )
        self.break_glass.append(user_id)

    # --- groups ---------------------------------------------------------------------------------------------

    def _group(self, kind: str, display: str, description: str | None, created: datetime) -> Obj:
        group_id = self.new_id()
        nick = self.unique_nickname(nickname(display) or "group")
        unified = kind in ("m365", "dynamic-m365")
        dynamic = kind.startswith("dynamic")
        mail_enabled = kind in ("m365", "dynamic-m365", "mail-security", "distribution")
        security_enabled = kind not in ("distribution",) and not (unified and self.rng.random() < 0.7)
        group_types = (["Unified"] if unified else []) + (["DynamicMembership"] if dynamic else [])
        mail = f"{nick}@{self.domain}" if mail_enabled else None
        visibility: str | None = None
        if unified:
            roll = self.rng.random()
            visibility = "Public" if roll < 0.6 else ("Private" if roll < 0.95 else "HiddenMembership")
        elif kind == "role":
            visibility = "Private"
        if unified:
            # The draw that chose a beta-only `creationOptions` (not in v1.0): kept so that a seed still
            # generates the same tenant.
            self.rng.random()
        return group_record(
            id=group_id,
            createdDateTime=iso(created),
            description=description,
            displayName=display,
            groupTypes=group_types,
            isAssignableToRole=True if kind == "role" else None,
            mail=mail,
            mailEnabled=mail_enabled,
            mailNickname=nick,
            proxyAddresses=[f"SMTP:{mail}", f"smtp:{nick}@contoso.mail.onmicrosoft.com"] if mail else [],
            renewedDateTime=iso(created),
            resourceProvisioningOptions=["Team"] if unified and self.rng.random() < 0.5 else [],
            securityEnabled=security_enabled,
            securityIdentifier=security_identifier(group_id),
            visibility=visibility,
            assignedLabels=[],
            assignedLicenses=[],
            members=[],
            owners=[],
        )

    def _pick_members(self, count: int, pool: Sequence[str] | None = None) -> list[str]:
        ids = pool if pool is not None else self._member_ids
        count = max(0, min(count, len(ids)))
        return [ids[k] for k in sorted(self.rng.sample(range(len(ids)), count))]

    def _owners(self, count: int) -> list[str]:
        return self._pick_members(count, self._owner_pool) if self._owner_pool else []

    def _group_size(self) -> int:
        """Mostly small groups, average about 20, a long tail."""
        roll = self.rng.random()
        if roll < 0.5:
            return self.rng.randint(2, 10)
        if roll < 0.85:
            return self.rng.randint(10, 30)
        if roll < 0.98:
            return self.rng.randint(30, 60)
        return self.rng.randint(60, 200)

    def _make_groups(self) -> None:
        rng = self.rng
        members = [u for u in self.members if u["id"] not in self.break_glass]
        self._member_ids = [u["id"] for u in members]
        self._owner_pool = [u["id"] for u in members if u["accountEnabled"]]
        guest_ids = [u["id"] for u in self.guests]
        if not self.users:
            return
        if self.demo:
            plan = [
                ("security", "SG-Finance-Readers", "Read access to the finance SharePoint site"),
                ("security", "VPN Users", "Members may connect to the corporate VPN"),
                ("m365", "Marketing Team", "Campaigns, launches and brand work 📣"),
                ("m365", "Project Aurora", "Cross-team project: next-generation field app"),
                ("m365", "München Social Club 🎉", "After-work events in München"),
                ("dynamic-security", "All Engineering (dynamic)", "Everyone whose department is Engineering"),
                ("dynamic-m365", "All Sales", "Everyone whose department is Sales"),
                ("mail-security", "Finance Approvers", "Approve purchase orders above the limit"),
                ("distribution", "Company Announcements", "Read-only announcements list"),
                ("distribution", "Seattle Office", "Everyone based in Seattle"),
                ("role", "Tier 0 Administrators", "Role-assignable: holds privileged directory roles"),
                (
                    "security",
                    "Emergency Access Exclusions",
                    "Break-glass accounts, excluded from conditional access",
                ),
            ]
        else:
            target = max(6, self.n // 10)
            kinds = [
                "security",
                "m365",
                "dynamic-security",
                "mail-security",
                "distribution",
                "role",
                "dynamic-m365",
            ]
            weights = [40, 30, 6, 7, 8, 2, 4]
            chosen = kinds + rng.choices(kinds, weights=weights, k=max(0, target - len(kinds) - 1))
            plan = [(k, "", "") for k in chosen]
            plan.append(("security", "Emergency Access Exclusions", "Break-glass accounts, excluded from CA"))

        dept_names = [d[0] for d in DEPARTMENTS]
        role_count = 0
        for kind, fixed_name, fixed_description in plan:
            if kind == "role" and role_count >= 40:
                kind = "security"
            dept = self.pick(dept_names)
            office = self.pick(OFFICES)
            word = self.pick(PROJECT_WORDS)
            name, description = fixed_name, fixed_description or None
            rule: str | None = None
            pool: Sequence[str] | None = None
            if kind == "security" and not name:
                name, description = rng.choice(
                    (
                        (
                            f"SG-{dept.replace(' ', '')}-{rng.choice(('Readers', 'Editors', 'Owners'))}",
                            f"{dept} access to shared resources",
                        ),
                        (f"App-{word}-Users", f"Users of the {word} application"),
                        (f"{office[0]} Office Staff", f"People based in {office[0]}"),
                        (
                            f"Intune-{dept.replace(' ', '')}-Devices-Pilot",
                            "Pilot ring for device configuration",
                        ),
                        (f"License-{dept.replace(' ', '')}-E3", "Group-based licensing"),
                    )
                )
            elif kind == "m365" and not name:
                name, description = rng.choice(
                    (
                        (f"{dept} Team", f"Collaboration space for {dept}"),
                        (f"Project {word}", f"Project {word} workspace"),
                        (
                            f"{office[0]} Social Club",
                            f"Events and chatter in {office[0]} {EMOJI[rng.randrange(8)]}",
                        ),
                        (f"{word} Working Group", None),
                    )
                )
            elif kind.startswith("dynamic"):
                if fixed_name.startswith("All Engineering"):
                    dept = "Engineering"
                elif fixed_name.startswith("All Sales"):
                    dept = "Sales"
                name, rule, pool = self._dynamic_rule(fixed_name, dept, office, guest_ids)
                description = description or f"Dynamic membership: {rule}"
            elif kind == "mail-security" and not name:
                name, description = f"{dept} Approvers", f"Approvers for {dept} requests"
            elif kind == "distribution" and not name:
                name, description = rng.choice(
                    (
                        (f"{dept} Announcements", f"Announcements for {dept}"),
                        (f"{office[0]} All Staff", f"Everyone in {office[0]}"),
                        (f"{word} Newsletter", None),
                    )
                )
            elif kind == "role" and not name:
                name, description = (
                    rng.choice(("PIM", "Tier0", "Tier1", "RoleGroup")) + f"-{rng.choice(list(ROLE_IDS))}",
                    "Role-assignable group",
                )
            display = self.unique_display(name)
            group = self._group(kind, display, description, self.ago(1000, 2))
            if rule is not None:
                group["membershipRule"] = rule
                group["membershipRuleProcessingState"] = "On" if rng.random() < 0.95 else "Paused"
                group["members"] = list(pool or [])
            elif display == "Emergency Access Exclusions":
                group["members"] = list(self.break_glass)
            elif kind == "role":
                role_count += 1
                group["members"] = self._pick_members(rng.randint(1, 6), self._owner_pool)
            elif kind == "distribution" and guest_ids and rng.random() < 0.3:
                group["members"] = self._pick_members(self._group_size()) + self._pick_members(2, guest_ids)
            elif self.demo:
                group["members"] = self._pick_members(rng.randint(3, 9))
            else:
                group["members"] = self._pick_members(self._group_size())
            if kind != "role" or rng.random() < 0.5:
                group["owners"] = self._owners(1 if rng.random() < 0.6 else 2)
            if kind == "security" and not self.demo and rng.random() < 0.06:
                self._make_synced(group)
            self.groups.append(group)

        # A few very large groups, as every big tenant has ("All employees", licensing groups).
        if self.n >= 1000:
            for share, name in (
                (0.9, "All Employees"),
                (0.45, "License-M365-E3-Wave1"),
                (0.2, "Remote Workers"),
            ):
                group = self._group(
                    "security", self.unique_display(name), f"{name} ({int(share * 100)}%)", self.ago(900, 300)
                )
                group["members"] = self._pick_members(int(len(self._member_ids) * share))
                group["owners"] = self._owners(2)
                self.groups.append(group)

        self._group_licensing()
        self._sensitivity_labels()

        # Nested groups: some security groups contain other security groups.
        plain = [
            g
            for g in self.groups
            if g["groupTypes"] == [] and not g["mailEnabled"] and not g["isAssignableToRole"]
        ]
        if len(plain) >= 4:
            for parent in rng.sample(plain, max(1, len(plain) // 20)):
                child = self.pick(plain)
                if child is not parent and child["id"] not in parent["members"]:
                    parent["members"].append(child["id"])

    def _dynamic_rule(
        self, fixed_name: str, dept: str, office: tuple[str, ...], guest_ids: list[str]
    ) -> tuple[str, str, Sequence[str]]:
        """A membership rule and the users it matches; narrower rules in bigger tenants keep groups sane."""
        rng = self.rng
        roll = 0.0 if fixed_name else rng.random()
        if roll >= 0.9 and guest_ids and not self._guest_rule_used:
            self._guest_rule_used = True
            return "All guests", '(user.userType -eq "Guest")', guest_ids
        city, _country, usage = office[0], office[1], office[2]
        if roll < 0.65:
            titles = next(t for d, t in DEPARTMENTS if d == dept)
            title = self.pick(titles)
            if self.n >= 20000:
                rule = (
                    f'(user.department -eq "{dept}") -and (user.city -eq "{city}") '
                    f'-and (user.jobTitle -eq "{title}")'
                )
                return fixed_name or f"{title}s in {city}", rule, self._index.get((dept, city, title), [])
            if self.n >= 3000:
                rule = f'(user.department -eq "{dept}") -and (user.city -eq "{city}")'
                return fixed_name or f"{dept} in {city}", rule, self._index.get((dept, city), [])
            return (
                fixed_name or f"All {dept} (dynamic)",
                f'user.department -eq "{dept}"',
                self.by_department.get(dept, []),
            )
        if self.n >= 3000:
            rule = f'(user.usageLocation -eq "{usage}") -and (user.department -eq "{dept}")'
            return fixed_name or f"{dept} in {office[1]}", rule, self._index.get((usage, dept), [])
        return (
            fixed_name or f"All staff in {office[1]}",
            f'user.usageLocation -eq "{usage}"',
            self._index.get((usage,), []),
        )

    def _group_licensing(self) -> None:
        """`License-*` groups assign E3: members show the inherited assignment in licenseAssignmentStates."""
        e3 = SKU_IDS["ENTERPRISEPACK"]
        by_id = {u["id"]: u for u in self.members}
        for group in self.groups:
            if not group["displayName"].startswith("License-") or group["groupTypes"]:
                continue
            group["assignedLicenses"] = [{"disabledPlans": [], "skuId": e3}]
            group["licenseProcessingState"] = {"state": "ProcessingComplete"}
            when = group["createdDateTime"]
            for member_id in group["members"]:
                user = by_id.get(member_id)
                if user is None:
                    continue
                if not any(lic["skuId"] == e3 for lic in user["assignedLicenses"]):
                    user["assignedLicenses"].append({"disabledPlans": [], "skuId": e3})
                    if not user.get("mail"):
                        user["mail"] = user["userPrincipalName"]
                        user["proxyAddresses"] = [f"SMTP:{user['mail']}"]
                user["licenseAssignmentStates"].append(
                    {
                        "assignedByGroup": group["id"],
                        "disabledPlans": [],
                        "error": "None",
                        "lastUpdatedDateTime": when,
                        "skuId": e3,
                        "state": "Active",
                    }
                )

    def _sensitivity_labels(self) -> None:
        """Some Microsoft 365 groups carry a sensitivity label (tenant-defined label ids)."""
        labels = [
            {"labelId": baseline.stable_id(self.tenant_id, f"label:{name}"), "displayName": name}
            for name in ("General", "Confidential", "Highly Confidential")
        ]
        for group in self.groups:
            if "Unified" in group["groupTypes"] and self.random() < 0.3:
                group["assignedLabels"] = [dict(self.pick(labels))]

    def _make_synced(self, group: Obj) -> None:
        sam = group["mailNickname"][:20]
        group.update(
            onPremisesDomainName=ON_PREM_DOMAIN,
            onPremisesLastSyncDateTime=iso(self.now - timedelta(minutes=23)),
            onPremisesNetBiosName="CORP",
            onPremisesSamAccountName=sam,
            onPremisesSecurityIdentifier=f"{ON_PREM_SID_PREFIX}{5000 + len(self.groups)}",
            onPremisesSyncEnabled=True,
        )

    # --- applications and service principals ---------------------------------------------------------------

    def _password_credential(self, name: str, created: datetime) -> Obj:
        start = min(created + timedelta(days=self.rng.randrange(0, 200)), self.now - timedelta(hours=7))
        return {
            "customKeyIdentifier": None,
            "displayName": name,
            "endDateTime": iso7(start + timedelta(days=self.rng.choice((90, 180, 365, 730)))),
            "hint": "".join(
                self.rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(3)
            ),
            "keyId": self.new_id(),
            "secretText": None,
            "startDateTime": iso7(start),
        }

    def _make_apps(self) -> None:
        rng = self.rng
        count = 3 if self.demo else max(2, self.n // 50)
        demo_names = ("Contoso Expense Portal", "Payroll Sync", "Inventory API")
        security_groups = [g for g in self.groups if g["securityEnabled"]]
        graph_roles = (
            "User.Read.All",
            "Group.Read.All",
            "Directory.Read.All",
            "Mail.Read",
            "Application.Read.All",
            "AuditLog.Read.All",
            "Reports.Read.All",
        )
        for index in range(count):
            if self.demo:
                name = demo_names[index]
            else:
                first, second = self.pick(APP_WORDS)
                prefix = rng.choice(("Contoso", "", "", self.pick(PROJECT_WORDS)))
                name = " ".join(p for p in (prefix, first, second) if p)
            name = self.unique_display(name)
            app_id, object_id = self.new_id(), self.new_id()
            created = self.ago(900, 5)
            is_api = rng.random() < 0.4 or (self.demo and index == 2)
            app_roles: list[Obj] = []
            if is_api or rng.random() < 0.3:
                for value, display, members in (
                    ("Reader", "Readers", ["User"]),
                    ("Admin", "Administrators", ["User"]),
                    ("Data.Sync", "Sync daemon", ["Application"]),
                ):
                    app_roles.append(
                        {
                            "allowedMemberTypes": members,
                            "description": f"{display} of {name}",
                            "displayName": display,
                            "id": self.new_id(),
                            "isEnabled": True,
                            "origin": "Application",
                            "value": value,
                        }
                    )
            scopes = []
            if is_api:
                scopes.append(
                    {
                        "adminConsentDescription": f"Allow the application to access {name} on behalf of the "
                        "signed-in user.",
                        "adminConsentDisplayName": f"Access {name}",
                        "id": self.new_id(),
                        "isEnabled": True,
                        "type": "User",
                        "userConsentDescription": f"Allow the application to access {name} on your behalf.",
                        "userConsentDisplayName": f"Access {name}",
                        "value": "access_as_user",
                    }
                )
            delegated = ["User.Read"] + (
                ["openid", "profile", "offline_access"] if rng.random() < 0.6 else []
            )
            app_perms = rng.sample(graph_roles, rng.randint(0, 3)) if not self.demo or index == 1 else []
            if self.demo and index == 1:
                app_perms = ["User.Read.All", "Group.Read.All"]
            slug = nickname(name)[:30]
            redirect = [f"https://{slug}.contoso.com/signin-oidc"] if not is_api else []
            app: Obj = {
                "id": object_id,
                "deletedDateTime": None,
                "appId": app_id,
                "applicationTemplateId": None,
                "createdDateTime": iso(created),
                "description": f"{name} line-of-business application" if rng.random() < 0.7 else None,
                "disabledByMicrosoftStatus": None,
                "displayName": name,
                "groupMembershipClaims": "SecurityGroup" if rng.random() < 0.3 else None,
                "identifierUris": [f"api://{app_id}"] if is_api else [],
                "isDeviceOnlyAuthSupported": None,
                "isFallbackPublicClient": None,
                "notes": None,
                "publisherDomain": self.domain,
                "serviceManagementReference": None,
                "signInAudience": "AzureADMyOrg" if rng.random() < 0.85 else "AzureADMultipleOrgs",
                "tags": [],
                "tokenEncryptionKeyId": None,
                "addIns": [],
                "api": {
                    "acceptMappedClaims": None,
                    "knownClientApplications": [],
                    "requestedAccessTokenVersion": 2 if is_api else None,
                    "oauth2PermissionScopes": scopes,
                    "preAuthorizedApplications": [],
                },
                "appRoles": app_roles,
                "info": {
                    "logoUrl": None,
                    "marketingUrl": None,
                    "privacyStatementUrl": None,
                    "supportUrl": None,
                    "termsOfServiceUrl": None,
                },
                "keyCredentials": [],
                "optionalClaims": None,
                "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
                "passwordCredentials": [],
                "publicClient": {"redirectUris": []},
                "requiredResourceAccess": [
                    {
                        "resourceAppId": GRAPH_APP_ID,
                        "resourceAccess": [{"id": GRAPH_SCOPE_IDS[s], "type": "Scope"} for s in delegated]
                        + [{"id": GRAPH_ROLE_IDS[r], "type": "Role"} for r in app_perms],
                    }
                ],
                "spa": {"redirectUris": []},
                "web": {
                    "homePageUrl": f"https://{slug}.contoso.com" if redirect else None,
                    "logoutUrl": None,
                    "redirectUris": redirect,
                    "implicitGrantSettings": {
                        "enableAccessTokenIssuance": False,
                        "enableIdTokenIssuance": bool(redirect),
                    },
                },
                "owners": self._owners(rng.randint(1, 2)),
                **baseline.app_extras(),
            }
            for k in range(rng.choice((0, 1, 1, 1, 2))):
                app["passwordCredentials"].append(self._password_credential(f"secret-{k + 1}", created))
            if rng.random() < 0.15:
                start = created + timedelta(days=3)
                app["keyCredentials"].append(
                    {
                        "customKeyIdentifier": base64.b16encode(uuid.UUID(self.new_id()).bytes[:20]).decode(
                            "ascii"
                        ),
                        "displayName": f"CN={slug}",
                        "endDateTime": iso7(start + timedelta(days=365)),
                        "key": None,
                        "keyId": self.new_id(),
                        "startDateTime": iso7(start),
                        "type": "AsymmetricX509Cert",
                        "usage": "Verify",
                    }
                )
            self.apps.append(app)
            if rng.random() < 0.95 or self.demo:
                sp = baseline.app_service_principal(app, self.new_id(), self.tenant_id)
                sp["owners"] = list(app["owners"][:1])
                assignments = []
                user_roles = [r for r in app_roles if "User" in r["allowedMemberTypes"]]
                if user_roles or rng.random() < 0.5:
                    sp["appRoleAssignmentRequired"] = bool(user_roles)
                    targets = [("User", u) for u in self._pick_members(rng.randint(1, 4), self._owner_pool)]
                    groups = security_groups
                    if groups:
                        targets.append(("Group", self.pick(groups)["id"]))
                    for principal_type, principal_id in targets:
                        role = self.pick(user_roles)["id"] if user_roles else ZERO_GUID
                        assignments.append(
                            {
                                "id": _b64_id(principal_id, sp["id"]),
                                "deletedDateTime": None,
                                "appRoleId": role,
                                "createdDateTime": iso7(self.ago7((self.now - created).days, 1)),
                                "principalDisplayName": None,
                                "principalId": principal_id,
                                "principalType": principal_type,
                                "resourceDisplayName": name,
                                "resourceId": sp["id"],
                            }
                        )
                sp["appRoleAssignedTo"] = assignments
                self.sps.append(sp)
                for perm in app_perms:
                    self.graph_assignments.append(
                        {
                            "id": _b64_id(sp["id"], GRAPH_ROLE_IDS[perm]),
                            "deletedDateTime": None,
                            "appRoleId": GRAPH_ROLE_IDS[perm],
                            "createdDateTime": iso7(self.ago7((self.now - created).days, 1)),
                            "principalDisplayName": name,
                            "principalId": sp["id"],
                            "principalType": "ServicePrincipal",
                            "resourceDisplayName": "Microsoft Graph",
                            "resourceId": self.graph_sp_id,
                        }
                    )
        # Multi-tenant apps from other publishers, consented into this tenant (no app registration here).
        for name in ("Fabrikam Travel Booking", "Northwind Survey Tool")[: 1 if self.demo else 2]:
            sp = baseline.app_service_principal(
                {"appId": self.new_id(), "displayName": name, "signInAudience": "AzureADMultipleOrgs"},
                self.new_id(),
                self.new_id(),
            )
            sp["tags"] = ["WindowsAzureActiveDirectoryIntegratedApp"]
            sp["appRoleAssignedTo"] = []
            self.sps.append(sp)

        # Display names of principals in assignments, now that every object exists.
        names = {u["id"]: u["displayName"] for u in self.users}
        names.update({g["id"]: g["displayName"] for g in self.groups})
        for sp in self.sps:
            for a in sp.get("appRoleAssignedTo") or ():
                a["principalDisplayName"] = names.get(a["principalId"], a["principalDisplayName"])

    def _make_grants(self) -> list[Obj]:
        grants = []
        for sp in self.sps:
            if self.rng.random() < 0.6:
                all_principals = self.rng.random() < 0.7 or not self._owner_pool
                principal = None if all_principals else self.pick(self._owner_pool)
                scope = "User.Read openid profile offline_access" if self.rng.random() < 0.6 else "User.Read"
                grants.append(
                    {
                        "id": _b64_id(sp["id"], self.graph_sp_id)
                        if all_principals
                        else _b64_id(sp["id"], principal or ""),
                        "clientId": sp["id"],
                        "consentType": "AllPrincipals" if all_principals else "Principal",
                        "principalId": principal,
                        "resourceId": self.graph_sp_id,
                        "scope": scope,
                    }
                )
        return grants

    # --- conditional access ---------------------------------------------------------------------------------

    def _make_locations_and_strengths(self) -> None:
        rng = self.rng
        rows: list[tuple[str, Obj]] = [
            (
                "Corporate HQ",
                {
                    "@odata.type": "#microsoft.graph.ipNamedLocation",
                    "isTrusted": True,
                    "ipRanges": [
                        {"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "203.0.113.0/24"},
                        {
                            "@odata.type": "#microsoft.graph.iPv6CidrRange",
                            "cidrAddress": "2001:db8:1234::/48",
                        },
                    ],
                },
            ),
            (
                "Blocked countries",
                {
                    "@odata.type": "#microsoft.graph.countryNamedLocation",
                    "countriesAndRegions": ["KP", "IR", "SY", "CU"],
                    "countryLookupMethod": "clientIpAddress",
                    "includeUnknownCountriesAndRegions": False,
                },
            ),
        ]
        if not self.demo:
            rows += [
                (
                    "Branch offices",
                    {
                        "@odata.type": "#microsoft.graph.ipNamedLocation",
                        "isTrusted": True,
                        "ipRanges": [
                            {
                                "@odata.type": "#microsoft.graph.iPv4CidrRange",
                                "cidrAddress": "198.51.100.0/25",
                            },
                            {"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "192.0.2.64/27"},
                        ],
                    },
                ),
                (
                    "Allowed travel countries",
                    {
                        "@odata.type": "#microsoft.graph.countryNamedLocation",
                        "countriesAndRegions": ["US", "CA", "GB", "FR", "DE", "CH", "JP", "AU"],
                        "countryLookupMethod": "clientIpAddress",
                        "includeUnknownCountriesAndRegions": True,
                    },
                ),
                (
                    "Partner VPN egress",
                    {
                        "@odata.type": "#microsoft.graph.ipNamedLocation",
                        "isTrusted": False,
                        "ipRanges": [
                            {"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "100.64.12.0/22"}
                        ],
                    },
                ),
            ]
        for name, body in rows:
            created = self.ago7(800, 30)
            modified = created + timedelta(days=rng.randrange(0, 25), seconds=rng.randrange(86400))
            self.named_locations.append(
                {
                    "@odata.type": body["@odata.type"],
                    "id": self.new_id(),
                    "displayName": name,
                    "createdDateTime": iso7(created),
                    "modifiedDateTime": iso7(modified),
                    **{k: v for k, v in body.items() if k != "@odata.type"},
                }
            )
        created = self.ago7(400, 30)
        self.strengths.append(
            {
                "id": self.new_id(),
                "createdDateTime": iso7(created),
                "modifiedDateTime": iso7(created + timedelta(days=2)),
                "displayName": "Contoso hardware keys or Hello",
                "description": "FIDO2 security keys or Windows Hello for Business only",
                "policyType": "custom",
                "requirementsSatisfied": "mfa",
                "allowedCombinations": ["fido2", "windowsHelloForBusiness"],
            }
        )
        for cid, name, description, available in (
            (
                "c1",
                "Sensitive actions",
                "Step-up authentication for sensitive actions in line-of-business apps",
                True,
            ),
            ("c2", "Admin portals", "Require strong authentication for administrative portals", True),
            ("c3", "Confidential data", "Labelled confidential SharePoint sites", False),
        )[: 2 if self.demo else 3]:
            self.contexts.append(
                {"id": cid, "displayName": name, "description": description, "isAvailable": available}
            )

    def _make_ca_policies(self) -> list[Obj]:
        rng = self.rng
        excluded_groups = [g["id"] for g in self.groups if g["displayName"] == "Emergency Access Exclusions"]
        trusted = [loc["id"] for loc in self.named_locations if loc.get("isTrusted")]
        countries = [loc["id"] for loc in self.named_locations if "countriesAndRegions" in loc]
        admin_roles = [
            ROLE_IDS[r]
            for r in (
                "Global Administrator",
                "Privileged Role Administrator",
                "Security Administrator",
                "User Administrator",
                "Conditional Access Administrator",
                "Application Administrator",
            )
        ]
        security_groups = [g["id"] for g in self.groups if g["securityEnabled"] and not g["groupTypes"]]
        sample_group = [self.pick(security_groups)] if security_groups else []
        phishing = next(
            s for s in baseline.built_in_authentication_strengths(self.now) if s["id"].endswith("4")
        )

        def users_cond(**kw: Any) -> Obj:
            base = {
                "includeUsers": [],
                "excludeUsers": list(self.break_glass),
                "includeGroups": [],
                "excludeGroups": list(excluded_groups),
                "includeRoles": [],
                "excludeRoles": [],
                "includeGuestsOrExternalUsers": None,
                "excludeGuestsOrExternalUsers": None,
            }
            base.update(kw)
            return base

        def apps_cond(include: list[str] | None = None, **kw: Any) -> Obj:
            base: Obj = {
                "includeApplications": include if include is not None else ["All"],
                "excludeApplications": [],
                "includeUserActions": [],
                "includeAuthenticationContextClassReferences": [],
                "applicationFilter": None,
            }
            base.update(kw)
            return base

        def grant(
            operator: str, controls: list[str], strength: Obj | None = None, terms: Sequence[str] = ()
        ) -> Obj:
            return {
                "operator": operator,
                "builtInControls": controls,
                "customAuthenticationFactors": [],
                "termsOfUse": list(terms),
                "authenticationStrength": dict(strength) if strength else None,
            }

        templates: list[tuple[str, Obj, Obj | None, Obj | None]] = [
            (
                "Require MFA for administrators",
                {
                    "users": users_cond(includeRoles=admin_roles),
                    "applications": apps_cond(),
                    "clientAppTypes": ["all"],
                },
                grant("OR", ["mfa"]),
                None,
            ),
            (
                "Block legacy authentication",
                {
                    "users": users_cond(includeUsers=["All"]),
                    "applications": apps_cond(),
                    "clientAppTypes": ["exchangeActiveSync", "other"],
                },
                grant("OR", ["block"]),
                None,
            ),
            (
                "Require MFA outside trusted locations",
                {
                    "users": users_cond(includeUsers=["All"]),
                    "applications": apps_cond(),
                    "clientAppTypes": ["all"],
                    "locations": {"includeLocations": ["All"], "excludeLocations": ["AllTrusted", *trusted]},
                },
                grant("OR", ["mfa"]),
                None,
            ),
            (
                "Block access from blocked countries",
                {
                    "users": users_cond(includeUsers=["All"]),
                    "applications": apps_cond(),
                    "clientAppTypes": ["all"],
                    "locations": {"includeLocations": countries[:1], "excludeLocations": []},
                },
                grant("OR", ["block"]),
                None,
            ),
            (
                "Require compliant device for Exchange Online",
                {
                    "users": users_cond(includeGroups=sample_group),
                    "applications": apps_cond([EXCHANGE_APP_ID]),
                    "clientAppTypes": ["browser", "mobileAppsAndDesktopClients"],
                },
                grant("OR", ["compliantDevice", "domainJoinedDevice"]),
                None,
            ),
            (
                "Guests must use MFA",
                {
                    "users": users_cond(includeUsers=["GuestsOrExternalUsers"]),
                    "applications": apps_cond(),
                    "clientAppTypes": ["all"],
                },
                grant("AND", ["mfa"], terms=[self.agreement_id]),
                None,
            ),
            (
                "Phishing-resistant MFA for Global Administrators",
                {
                    "users": users_cond(includeRoles=[ROLE_IDS["Global Administrator"]]),
                    "applications": apps_cond(),
                    "clientAppTypes": ["all"],
                },
                grant("OR", [], phishing),
                None,
            ),
            (
                "Sign-in frequency on unmanaged devices",
                {
                    "users": users_cond(includeUsers=["All"]),
                    "applications": apps_cond([EXCHANGE_APP_ID, SHAREPOINT_APP_ID]),
                    "clientAppTypes": ["browser"],
                    "devices": {
                        "deviceFilter": {
                            "mode": "exclude",
                            "rule": 'device.isCompliant -eq True -or device.trustType -eq "ServerAD"',
                        }
                    },
                },
                None,
                {
                    "applicationEnforcedRestrictions": None,
                    "cloudAppSecurity": None,
                    "disableResilienceDefaults": None,
                    "persistentBrowser": {"mode": "never", "isEnabled": True},
                    "signInFrequency": {
                        "value": 12,
                        "type": "hours",
                        "authenticationType": "primaryAndSecondaryAuthentication",
                        "frequencyInterval": "timeBased",
                        "isEnabled": True,
                    },
                },
            ),
            (
                "Step-up for sensitive actions",
                {
                    "users": users_cond(includeUsers=["All"]),
                    "applications": apps_cond([], includeAuthenticationContextClassReferences=["c1"]),
                    "clientAppTypes": ["all"],
                },
                grant("OR", [], self.strengths[0] if self.strengths else phishing),
                None,
            ),
            (
                "Block high sign-in risk",
                {
                    "users": users_cond(includeUsers=["All"]),
                    "applications": apps_cond(),
                    "clientAppTypes": ["all"],
                    "signInRiskLevels": ["high"],
                },
                grant("OR", ["block"]),
                None,
            ),
            (
                "Password change for high-risk users",
                {
                    "users": users_cond(includeUsers=["All"]),
                    "applications": apps_cond(),
                    "clientAppTypes": ["all"],
                    "userRiskLevels": ["high"],
                },
                grant("AND", ["mfa", "passwordChange"]),
                None,
            ),
            (
                "Register security info from trusted locations only",
                {
                    "users": users_cond(includeUsers=["All"]),
                    "applications": apps_cond([], includeUserActions=["urn:user:registersecurityinfo"]),
                    "clientAppTypes": ["all"],
                    "locations": {"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]},
                },
                grant("OR", ["block"]),
                None,
            ),
            (
                "Block unsupported device platforms",
                {
                    "users": users_cond(includeUsers=["All"]),
                    "applications": apps_cond(),
                    "clientAppTypes": ["all"],
                    "platforms": {
                        "includePlatforms": ["all"],
                        "excludePlatforms": ["android", "iOS", "windows", "macOS"],
                    },
                },
                grant("OR", ["block"]),
                None,
            ),
            (
                "Terms of use for contractors (pilot)",
                {
                    "users": users_cond(includeGroups=sample_group),
                    "applications": apps_cond([SHAREPOINT_APP_ID]),
                    "clientAppTypes": ["all"],
                },
                grant("OR", ["mfa"]),
                None,
            ),
            (
                "Require approved client apps on mobile",
                {
                    "users": users_cond(includeUsers=["All"]),
                    "applications": apps_cond([EXCHANGE_APP_ID, SHAREPOINT_APP_ID]),
                    "clientAppTypes": ["mobileAppsAndDesktopClients"],
                    "platforms": {"includePlatforms": ["android", "iOS"], "excludePlatforms": []},
                },
                grant("OR", ["approvedApplication", "compliantApplication"]),
                None,
            ),
        ]
        count = 4 if self.demo else min(15, max(5, 5 + self.n // 2000))
        guests = next(t for t in templates if t[0] == "Guests must use MFA")
        if self.demo:
            # the guests' policy (it requires the terms of use) made without the random draws, so that the
            # rest of the demo tenant stays as it was before terms of use were emulated
            templates = [templates[0], templates[1], templates[2], guests]
        states = ("enabled", "enabled", "enabledForReportingButNotEnforced", "disabled")
        policies = []
        for index, (name, conditions, grant_controls, session) in enumerate(templates[:count]):
            fixed = self.demo and index == 3
            created = self.now - timedelta(days=200) if fixed else self.ago7(700, 10)
            modified = (
                None
                if fixed or rng.random() < 0.3
                else iso7(created + timedelta(days=rng.randrange(1, 9), seconds=rng.randrange(86400)))
            )
            full_conditions = {
                "userRiskLevels": [],
                "signInRiskLevels": [],
                "clientAppTypes": ["all"],
                "servicePrincipalRiskLevels": [],
                "insiderRiskLevels": None,
                "platforms": None,
                "locations": None,
                "devices": None,
                "clientApplications": None,
            }
            full_conditions.update(conditions)
            policies.append(
                {
                    "id": baseline.stable_id(self.tenant_id, f"ca:{name}") if fixed else self.new_id(),
                    "templateId": None,
                    "displayName": name,
                    "createdDateTime": iso7(created),
                    "modifiedDateTime": modified,
                    "state": states[index % len(states)] if index > 1 and not fixed else "enabled",
                    "sessionControls": session,
                    "conditions": full_conditions,
                    "grantControls": grant_controls,
                }
            )
        return policies

    # --- administrative units and roles ---------------------------------------------------------------------

    def _make_admin_units(self) -> None:
        rng = self.rng
        count = 1 if self.demo else max(1, min(25, self.n // 2000 + 2))
        offices = list(range(len(OFFICES)))
        for index in range(count):
            if index < len(offices):
                office = OFFICES[index]
                name = f"{office[0]} office"
                description = f"Users and groups managed by the {office[0]} IT team"
                members = list(self.by_office.get(index, []))
            else:
                name = f"{PROJECT_WORDS[index % len(PROJECT_WORDS)]} division"
                description = None
                members = self._pick_members(rng.randint(5, 40))
            dynamic = not self.demo and index == 1
            au: Obj = {
                "id": self.new_id(),
                "deletedDateTime": None,
                "displayName": self.unique_display(name),
                "description": description,
                "isMemberManagementRestricted": False,
                "membershipRule": None,
                "membershipRuleProcessingState": None,
                "membershipType": "Assigned",
                "visibility": "HiddenMembership" if rng.random() < 0.2 else None,
                "members": members,
            }
            if dynamic:
                au.update(
                    membershipType="Dynamic",
                    membershipRule=f'(user.city -eq "{OFFICES[index][0]}")',
                    membershipRuleProcessingState="On",
                )
            elif self.groups and rng.random() < 0.5:
                au["members"].append(self.pick(self.groups)["id"])
            self.aus.append(au)

    def _make_roles(self) -> None:
        rng = self.rng
        custom = (
            (
                "Helpdesk Tier 1 - Password reset",
                "Reset passwords and revoke sessions for non-admins",
                [
                    "microsoft.directory/users/password/update",
                    "microsoft.directory/users/invalidateAllRefreshTokens",
                ],
            ),
            (
                "App registration owner manager",
                "Manage owners and secrets of app registrations",
                [
                    "microsoft.directory/applications/owners/update",
                    "microsoft.directory/applications/credentials/update",
                ],
            ),
            (
                "Group lifecycle operator",
                "Update group basics and membership; no deletion",
                ["microsoft.directory/groups/basic/update", "microsoft.directory/groups/members/update"],
            ),
        )
        for name, description, actions in custom[: 1 if self.demo else 3]:
            rid = self.new_id()
            self.role_defs.append(
                {
                    "id": rid,
                    "description": description,
                    "displayName": name,
                    "isBuiltIn": False,
                    "isEnabled": True,
                    "resourceScopes": ["/"],
                    "templateId": rid,
                    "version": None,
                    "rolePermissions": [{"allowedResourceActions": actions, "condition": None}],
                }
            )

        def assign(role_id: str, principal_id: str, scope: str = "/") -> None:
            salt = principal_id if scope == "/" else str(uuid.uuid5(uuid.UUID(principal_id), scope))
            self.role_assignments.append(
                {
                    "id": _b64_id(role_id, salt) + "-1",
                    "roleDefinitionId": role_id,
                    "principalId": principal_id,
                    "directoryScopeId": scope,
                }
            )

        admins = [u["id"] for u in self.members[:3] if u["id"] not in self.break_glass]
        for principal in admins[:2] + self.break_glass:
            assign(ROLE_IDS["Global Administrator"], principal)
        role_groups = [g for g in self.groups if g.get("isAssignableToRole")]
        if role_groups:
            assign(ROLE_IDS["Privileged Role Administrator"], role_groups[0]["id"])
            for g in role_groups[1:12]:
                assign(
                    ROLE_IDS[
                        rng.choice(
                            (
                                "Groups Administrator",
                                "Helpdesk Administrator",
                                "Security Reader",
                                "Application Administrator",
                            )
                        )
                    ],
                    g["id"],
                )
        pool = self._owner_pool
        extra = 4 if self.demo else min(150, max(6, self.n // 500))
        role_choices = (
            "User Administrator",
            "Helpdesk Administrator",
            "Application Administrator",
            "Conditional Access Administrator",
            "Security Administrator",
            "Global Reader",
            "Exchange Administrator",
            "Reports Reader",
            "Authentication Administrator",
        )
        for k in range(extra):
            if not pool:
                break
            principal = self.pick(pool)
            if self.aus and k % 3 == 2:
                au = self.pick(self.aus)
                assign(
                    ROLE_IDS[
                        rng.choice(("User Administrator", "Helpdesk Administrator", "Groups Administrator"))
                    ],
                    principal,
                    f"/administrativeUnits/{au['id']}",
                )
            elif self.role_defs and k % 4 == 3:
                assign(self.pick(self.role_defs)["id"], principal)
            else:
                assign(ROLE_IDS[self.pick(role_choices)], principal)
        # A daemon app reading the directory with Global Reader.
        if self.sps:
            assign(ROLE_IDS["Global Reader"], self.sps[0]["id"])
        seen: set[str] = set()
        unique = []
        for a in self.role_assignments:
            if a["id"] not in seen:
                seen.add(a["id"])
                unique.append(a)
        self.role_assignments = unique

    def _make_pim(self) -> None:
        """PIM for Entra roles: technical staff (IT and Engineering first, as admins-to-be are) eligible for
        roles, for good or until a date, the first of them with its eligibility activated, and a time-bound
        active assignment; each active one with the role assignment it makes. Ids derive from the tenant id
        (no draw from the random stream, so the rest of the tenant stays as it was)."""
        taken = {a["principalId"] for a in self.role_assignments} | set(self.break_glass)
        free = [u for u in self.members if u["id"] not in taken]
        technical = {"IT", "Engineering"}
        free.sort(key=lambda u: (u.get("department") not in technical, u["id"]))
        count = 2 if self.demo else min(100, max(2, self.n // 1000))
        people = [u["id"] for u in free[: count + 1]]
        if len(people) < 3:
            return

        def schedule(n: int, principal: str, role: str, start: datetime, end: datetime | None) -> Obj:
            sid = str(uuid.uuid5(uuid.UUID(self.tenant_id), f"pim:{n}"))
            exp: Obj = {"type": "noExpiration", "endDateTime": None, "duration": None}
            if end is not None:
                exp = {"type": "afterDateTime", "endDateTime": iso(end), "duration": None}
            return {
                "id": sid,
                "principalId": principal,
                "roleDefinitionId": role,
                "directoryScopeId": "/",
                "appScopeId": None,
                "createdUsing": sid,
                "createdDateTime": iso(start),
                "modifiedDateTime": None,
                "status": "Provisioned",
                "memberType": "Direct",
                "scheduleInfo": {
                    "startDateTime": iso(start),
                    "recurrence": None,
                    "expiration": exp,
                },
            }

        for k, principal in enumerate(people[:count]):
            role = ROLE_IDS["Privileged Role Administrator" if k % 2 == 0 else "Security Administrator"]
            end = None if k % 2 == 0 else self.now + timedelta(days=180)
            self.eligible.append(schedule(k, principal, role, self.now - timedelta(days=40 + k), end))
        for k, (principal, role, kind, start, end) in enumerate(
            (
                (
                    people[count],
                    ROLE_IDS["User Administrator"],
                    "Assigned",
                    self.now - timedelta(days=10),
                    self.now + timedelta(days=80),
                ),
                (
                    people[0],  # activating the eligibility made for them just above
                    ROLE_IDS["Privileged Role Administrator"],
                    "Activated",
                    self.now,
                    self.now + timedelta(days=1, hours=8),
                ),
            )
        ):
            active = schedule(1000 + k, principal, role, start, end)
            active["assignmentType"] = kind
            self.timed.append(active)
            self.role_assignments.append(
                {
                    "id": _b64_id(role, principal) + "-1",
                    "roleDefinitionId": role,
                    "principalId": principal,
                    "directoryScopeId": "/",
                }
            )

    def _make_group_pim(self) -> None:
        """PIM for Groups on the first role-assignable group: two people eligible for membership (for good;
        until a date), one for ownership with a time-bound active membership too, and an activation of the
        first eligibility, each active one with the membership it gives. Ids derive from the tenant id (no
        draw from the random stream)."""
        groups = [g for g in self.groups if g.get("isAssignableToRole") and not g.get("groupTypes")]
        # The people PIM for roles already holds (eligible, time-bound): privileged already, so the tenant's
        # other people keep what the rest of the tenant gives them.
        people = list(dict.fromkeys(s["principalId"] for s in self.eligible + self.timed))
        if not groups or len(people) < 3:
            return
        group = groups[0]["id"]
        members = groups[0].setdefault("members", [])

        def schedule(n: int, principal: str, access: str, start: datetime, end: datetime | None) -> Obj:
            rid = str(uuid.uuid5(uuid.UUID(self.tenant_id), f"pim-group:{n}"))
            exp: Obj = {"type": "noExpiration", "endDateTime": None, "duration": None}
            if end is not None:
                exp = {"type": "afterDateTime", "endDateTime": iso(end), "duration": None}
            return {
                "id": f"{group}_{access}_{rid}",
                "principalId": principal,
                "groupId": group,
                "accessId": access,
                "createdUsing": rid,
                "createdDateTime": iso(start),
                "modifiedDateTime": None,
                "status": "Provisioned",
                "memberType": "direct",
                "scheduleInfo": {"startDateTime": iso(start), "recurrence": None, "expiration": exp},
            }

        later = self.now + timedelta(days=120)
        for n, (principal, access, end) in enumerate(
            ((people[0], "member", None), (people[1], "member", later), (people[2], "owner", None))
        ):
            self.group_eligible.append(schedule(n, principal, access, self.now - timedelta(days=30), end))
        for n, (principal, kind, start, end) in enumerate(
            (
                (people[2], "assigned", self.now - timedelta(days=5), self.now + timedelta(days=60)),
                # past the seed clock's day (midnight): an 8-hour one would be over by 08:00 UTC
                (people[0], "activated", self.now, self.now + timedelta(days=1, hours=8)),
            )
        ):
            active = schedule(100 + n, principal, "member", start, end)
            active["assignmentType"] = kind
            self.group_timed.append(active)
            if principal not in members:
                members.append(principal)

    # --- soft-deleted objects and audit history -------------------------------------------------------------

    def _make_deleted(self) -> None:
        rng = self.rng
        n_users = 1 if self.demo else max(1, min(50, self.n // 500))
        n_groups = 0 if self.demo else max(1, min(10, self.n // 2000))
        n_apps = 0 if self.demo else 1
        if not self.members:
            return
        for k in range(n_users):
            given, surname, display, a_given, a_surname = (
                ("Allan", "Deyoung", "Allan Deyoung", "allan", "deyoung")
                if self.demo and k == 0
                else self._person(k)
            )
            upn = self.unique_upn(f"{nickname(a_given)}.{nickname(a_surname)}", self.domain)
            user_id = self.new_id()
            created = self.ago(900, 60)
            dept, titles = self.pick(DEPARTMENTS)
            self.deleted.append(
                {
                    "@odata.type": "#microsoft.graph.user",
                    "id": user_id,
                    "deletedDateTime": iso(self.ago(25, 1)),
                    "accountEnabled": True,
                    "businessPhones": [],
                    "createdDateTime": iso(created),
                    "department": dept,
                    "displayName": display,
                    "givenName": given,
                    "jobTitle": titles[0],
                    "mail": upn,
                    "mailNickname": upn.split("@")[0],
                    "proxyAddresses": [f"SMTP:{upn}"],
                    "securityIdentifier": security_identifier(user_id),
                    "surname": surname,
                    "usageLocation": "US",
                    "userPrincipalName": upn,
                    "userType": "Member",
                    "assignedLicenses": [{"disabledPlans": [], "skuId": SKU_IDS["ENTERPRISEPACK"]}],
                }
            )
        for k in range(n_groups):
            word = PROJECT_WORDS[(k * 7) % len(PROJECT_WORDS)]
            group = self._group(
                "m365",
                self.unique_display(f"Project {word} (archived)"),
                "Finished project workspace",
                self.ago(900, 60),
            )
            group["@odata.type"] = "#microsoft.graph.group"
            group["deletedDateTime"] = iso(self.ago(28, 1))
            group["members"] = self._pick_members(rng.randint(3, 12))
            group["owners"] = self._owners(1)
            self.deleted.append(group)
        for _ in range(n_apps):
            self.deleted.append(
                {
                    "@odata.type": "#microsoft.graph.application",
                    "id": self.new_id(),
                    "deletedDateTime": iso(self.ago(20, 1)),
                    "appId": self.new_id(),
                    "createdDateTime": iso(self.ago(900, 60)),
                    "displayName": "Legacy Timesheet Connector",
                    "description": "Retired when the new timesheet app went live",
                    "identifierUris": [],
                    "publisherDomain": self.domain,
                    "signInAudience": "AzureADMyOrg",
                    "passwordCredentials": [],
                    "keyCredentials": [],
                    "requiredResourceAccess": [
                        {
                            "resourceAppId": GRAPH_APP_ID,
                            "resourceAccess": [{"id": GRAPH_SCOPE_IDS["User.Read"], "type": "Scope"}],
                        }
                    ],
                }
            )

    def _make_audits(self) -> list[Obj]:
        """A few weeks of directory audit history: an admin editing users and groups in the portal."""
        if not self.members:
            return []
        admin = self.members[0]
        events: list[tuple[str, str, Obj]] = []
        for user in self.members[1:8]:
            target = {
                "id": user["id"],
                "displayName": user["displayName"],
                "type": "User",
                "userPrincipalName": user["userPrincipalName"],
                "groupType": None,
                "modifiedProperties": [
                    {
                        "displayName": "JobTitle",
                        "oldValue": '["Analyst"]',
                        "newValue": f'["{user["jobTitle"]}"]',
                    }
                ],
            }
            events.append(("UserManagement", "Update user", target))
        for group in self.groups[:5]:
            target = {
                "id": group["id"],
                "displayName": group["displayName"],
                "type": "Group",
                "userPrincipalName": None,
                "groupType": "unifiedGroups" if "Unified" in group["groupTypes"] else "azureAD",
                "modifiedProperties": [
                    {
                        "displayName": "Description",
                        "oldValue": "[]",
                        "newValue": f'["{group["description"] or ""}"]',
                    }
                ],
            }
            events.append(("GroupManagement", "Update group", target))
        audits = []
        for category, activity, target in events:
            audits.append(
                {
                    "id": f"Directory_{self.new_id()}",
                    "category": category,
                    "correlationId": self.new_id(),
                    "result": "success",
                    "resultReason": "",
                    "activityDisplayName": activity,
                    "activityDateTime": iso7(self.ago7(25, 0.5)),
                    "loggedByService": "Core Directory",
                    "operationType": "Update",
                    "initiatedBy": {
                        "app": None,
                        "user": {
                            "id": admin["id"],
                            "displayName": None,
                            "userPrincipalName": admin["userPrincipalName"],
                            "ipAddress": "203.0.113.24",
                            "userType": None,
                        },
                    },
                    "targetResources": [target],
                    "additionalDetails": [],
                }
            )
        audits.sort(key=lambda a: str(a["activityDateTime"]), reverse=True)
        return audits

    def _add_app_bits(self, graph_sp: Obj) -> None:
        """What hangs off objects beside their properties, once per tenant and without drawing from the random
        stream (every tenant generated before stays the same): a GitHub Actions federated credential on the
        first app, User.Read classified low-risk, a guest's sponsor and the FIDO2 keys a custom authentication
        strength allows (groups that assign licences come with the groups)."""
        stable = partial(baseline.stable_id, self.tenant_id)
        if self.apps:
            app = self.apps[0]
            slug = str(app["displayName"]).lower().replace(" ", "-")
            app["federatedIdentityCredentials"] = [
                {
                    "id": stable(f"fic:{app['id']}"),
                    "name": "github-main",
                    "issuer": "https://token.actions.githubusercontent.com",
                    "subject": f"repo:contoso/{slug}:ref:refs/heads/main",
                    "description": "Deploys from the main branch",
                    "audiences": ["api://AzureADTokenExchange"],
                }
            ]
        graph_sp["delegatedPermissionClassifications"] = [
            {
                "id": stable("classification:User.Read")[:23],
                "permissionId": baseline.GRAPH_SCOPE_IDS["User.Read"],
                "permissionName": "User.Read",
                "classification": "low",
            }
        ]
        guest = next((u for u in self.users if u.get("userType") == "Guest"), None)
        if guest is not None and self.members:
            guest["sponsors"] = [self.members[0]["id"]]
        fido = next((s for s in self.strengths if "fido2" in s.get("allowedCombinations", ())), None)
        if fido is not None:
            fido["combinationConfigurations"] = [
                {
                    "id": stable(f"combination:{fido['id']}"),
                    "@odata.type": "#microsoft.graph.fido2CombinationConfiguration",
                    "appliesToCombinations": ["fido2"],
                    "allowedAAGUIDs": ["cb69481e-8ff7-4039-93ec-0a2729a154a8"],
                }
            ]

    # --- assembly -------------------------------------------------------------------------------------------

    def _make_extensions(self) -> None:
        """Directory extensions (resources/extensionproperty.md) of the first app with a service principal
        (the demo's Payroll Sync) and their values: a cost center on every member user with a department and
        on a few groups, a pay grade on every third, clearances (multi-valued) on two. Derived from what
        exists, without drawing from the generator's random stream, so every other object stays as it was."""
        with_sp = {sp["appId"] for sp in self.sps}
        app = next((a for a in self.apps if a["appId"] in with_sp), None)
        if app is None:
            return
        app["extensionProperties"] = [
            {"id": baseline.stable_id(app["id"], f"ext:{name}"), "name": name, "dataType": kind,
             "isMultiValued": multi, "targetObjects": targets}
            for name, kind, multi, targets in (
                ("costCenter", "String", False, ["User", "Group"]),
                ("payGrade", "Integer", False, ["User"]),
                ("clearances", "String", True, ["User"]),
            )
        ]  # fmt: skip
        prefix = "extension_" + app["appId"].replace("-", "") + "_"
        departments = sorted({str(u["department"]) for u in self.members if u.get("department")})
        centers = {d: f"CC-{1000 + 10 * i}" for i, d in enumerate(departments)}
        for i, user in enumerate(self.members):
            if user.get("department"):
                user[prefix + "costCenter"] = centers[str(user["department"])]
            if i % 3 == 0:
                user[prefix + "payGrade"] = 5 + i % 7
        for user, clearances in zip(self.members, (["Finance", "HR"], ["Facilities"]), strict=False):
            user[prefix + "clearances"] = clearances
        for i, group in enumerate(g for g in self.groups if g.get("securityEnabled")):
            if i < 3:
                group[prefix + "costCenter"] = f"CC-{9000 + i}"

    def build(self) -> Obj:
        self._make_users()
        self._make_groups()
        self._make_apps()
        grants = self._make_grants() if self.users else []
        self._make_locations_and_strengths()
        ca = self._make_ca_policies() if self.users else []
        self._make_admin_units()
        self._make_roles()
        self._make_pim()
        self._make_group_pim()
        self._make_deleted()
        self._make_extensions()
        audits = self._make_audits()
        compliance = self._make_compliance_policies()
        token = token_policies.seed(self.tenant_id, self.apps, self.sps)
        if self.demo:  # a generated tenant keeps exactly the users asked for
            owner = self.members[0]["id"] if self.members else None
            agents = agent_objects(self.new_id, self.tenant_id, self.domain, self.now, owner)
            self.users += agents["users"]
            self.apps += agents["applications"]
            self.sps += agents["servicePrincipals"]
        partners = self._make_partners() if self.groups else []
        attributes = custom_attributes.seed(self.users, self.sps)
        graph_sp = baseline.graph_service_principal(self.graph_sp_id)
        graph_sp["appRoleAssignedTo"] = self.graph_assignments
        self._add_app_bits(graph_sp)
        org = baseline.organization(self.tenant_id, self.domain, SANDBOX_ORG_NAME, self.now)
        return {
            "organization": [org],
            "users": self.users,
            "groups": self.groups,
            "applications": self.apps,
            "servicePrincipals": [graph_sp, *self.sps],
            "oauth2PermissionGrants": grants,
            "policies/activityBasedTimeoutPolicies": [baseline.idle_timeout_policy(self.new_id())],
            "policies/permissionGrantPolicies": [baseline.verified_low_risk_policy(self.new_id())],
            **self._make_group_policies(),
            "identity/conditionalAccess/namedLocations": self.named_locations,
            "identity/conditionalAccess/authenticationStrength/policies": self.strengths,
            "identity/conditionalAccess/authenticationContextClassReferences": self.contexts,
            "identity/conditionalAccess/policies": ca,
            "directory/administrativeUnits": self.aus,
            "roleManagement/directory/roleDefinitions": self.role_defs,
            "roleManagement/directory/roleAssignments": self.role_assignments,
            "roleManagement/directory/roleEligibilitySchedules": self.eligible,
            "roleManagement/directory/roleAssignmentSchedules": self.timed,
            "identityGovernance/privilegedAccess/group/eligibilitySchedules": self.group_eligible,
            "identityGovernance/privilegedAccess/group/assignmentSchedules": self.group_timed,
            "auditLogs/directoryAudits": audits,
            "deletedItems": self.deleted,
            **attributes,
            "deviceManagement/deviceCompliancePolicies": compliance,
            "policies/crossTenantAccessPolicy/partners": partners,
            "domains": domains.demo_domains(self.domain) if self.groups else [],
            "identityGovernance/termsOfUse/agreements": self._agreements(),
            "policies/featureRolloutPolicies": self._feature_rollouts(),
            **token,
        }

    def _agreements(self) -> list[Obj]:
        """The terms of use guests accept (the guests' conditional access policy requires them), in English
        and in French, each a small PDF made here."""
        created = iso(self.now - timedelta(days=365))

        def pdf(language: str, name: str, text: str, default: bool) -> Obj:
            return {
                "id": baseline.stable_id(self.tenant_id, f"agreement:guests:{language}"),
                "fileName": name,
                "displayName": "Contoso terms of use for guests",
                "language": language,
                "isDefault": default,
                "isMajorVersion": False,
                "createdDateTime": created,
                "data": base64.b64encode(agreements.tiny_pdf(text)).decode("ascii"),
            }

        return [
            {
                "id": self.agreement_id,
                "displayName": "Guest terms of use",
                "isViewingBeforeAcceptanceRequired": True,
                "isPerDeviceAcceptanceRequired": False,
                "userReacceptRequiredFrequency": "P365D",
                "termsExpiration": None,
                "files": [
                    pdf("en", "guest-terms.pdf", "Contoso terms of use for guests", True),
                    pdf("fr-FR", "conditions-invites.pdf", "Conditions d'utilisation Contoso", False),
                ],
            }
        ]

    def _feature_rollouts(self) -> list[Obj]:
        """A staged rollout of password hash sync to one pilot security group
        (resources/featurerolloutpolicy.md: groups only, not dynamic ones)."""
        live = [g for g in self.groups if not g.get("deletedDateTime")]
        pilot = next((g for g in live if not g["groupTypes"] and not g.get("isAssignableToRole")), None)
        if pilot is None:
            return []
        return [
            {
                "id": baseline.stable_id(self.tenant_id, "featureRollout:passwordHashSync"),
                "displayName": "Password hash sync pilot",
                "description": "Cloud sign-in with password hash sync for the pilot group first",
                "feature": "passwordHashSync",
                "isEnabled": True,
                "isAppliedToOrganization": False,
                "appliesTo": [pilot["id"]],
            }
        ]

    def _make_group_policies(self) -> dict[str, list[Obj]]:
        """The settings an admin of a Microsoft 365 tenant makes first: group creation kept to one security
        group, guests kept from owning groups, a naming prefix; a custom banned password list with a lower
        lockout threshold; and an expiration policy for a few selected Microsoft 365 groups."""
        live = [g for g in self.groups if not g.get("deletedDateTime")]
        creators = next((g for g in live if not g["groupTypes"]), None)
        unified = [g["id"] for g in live if "Unified" in g["groupTypes"]][:3]
        group_rules = baseline.group_setting(
            self.new_id(),
            baseline.UNIFIED_TEMPLATE,
            EnableGroupCreation="false" if creators else "true",
            GroupCreationAllowedGroupId=creators["id"] if creators else "",
            PrefixSuffixNamingRequirement="GRP-[GroupName]",
            ClassificationList="General,Confidential,Highly Confidential",
        )
        passwords = baseline.group_setting(
            self.new_id(),
            baseline.PASSWORD_TEMPLATE,
            BannedPasswordList="contoso\tfabrikam\twinter2026",
            LockoutThreshold="5",
        )
        expiry = {
            "id": self.new_id(),
            "alternateNotificationEmails": f"groups-admin@{self.domain}",
            "groupLifetimeInDays": 365,
            "managedGroupTypes": "Selected" if unified else "None",
            "groups": unified,
        }
        return {"groupSettings": [group_rules, passwords], "groupLifecyclePolicies": [expiry]}

    def _make_compliance_policies(self) -> list[Obj]:
        """A compliance policy per common platform (the settings an admin sets first), each with the one
        block action Graph requires and a reminder mail or a retire after it, assigned to a group and
        excluding another. Made last, from ids of their own (uuid5 of the tenant), so that the rest of the
        tenant is as before."""
        groups = [g["id"] for g in self.groups if g.get("securityEnabled") and not g.get("groupTypes")][:2]
        stamp = baseline.iso7(self.now - timedelta(days=60))

        def uid(*parts: object) -> str:
            return str(uuid.uuid5(uuid.UUID(self.tenant_id), "compliance:" + ":".join(map(str, parts))))

        rows: list[tuple[str, Obj]] = [
            (
                "Windows 10/11 baseline",
                {
                    "@odata.type": "#microsoft.graph.windows10CompliancePolicy",
                    "bitLockerEnabled": True,
                    "secureBootEnabled": True,
                    "passwordRequired": True,
                    "passwordMinimumLength": 12,
                    "passwordRequiredType": "alphanumeric",
                    "osMinimumVersion": "10.0.19045",
                    "storageRequireEncryption": True,
                },
            ),
            (
                "iOS baseline",
                {
                    "@odata.type": "#microsoft.graph.iosCompliancePolicy",
                    "passcodeRequired": True,
                    "passcodeMinimumLength": 6,
                    "securityBlockJailbrokenDevices": True,
                    "osMinimumVersion": "17.0",
                },
            ),
            (
                "Android work profile baseline",
                {
                    "@odata.type": "#microsoft.graph.androidWorkProfileCompliancePolicy",
                    "passwordRequired": True,
                    "passwordRequiredType": "numericComplex",
                    "securityRequireSafetyNetAttestationBasicIntegrity": True,
                    "minAndroidSecurityPatchLevel": "2026-01-01",
                },
            ),
            (
                "macOS baseline",
                {
                    "@odata.type": "#microsoft.graph.macOSCompliancePolicy",
                    "firewallEnabled": True,
                    "systemIntegrityProtectionEnabled": True,
                    "storageRequireEncryption": True,
                },
            ),
        ]
        out = []
        for i, (name, settings) in enumerate(rows):
            later = (
                {"actionType": "notification", "gracePeriodHours": 72}
                if i % 2
                else {
                    "actionType": "retire",
                    "gracePeriodHours": 24 * 30,
                }
            )
            configs = [{"actionType": "block", "gracePeriodHours": 0}, later]
            assignments = [
                {
                    "id": uid(i, "assignment", kind),
                    "target": {"@odata.type": f"#microsoft.graph.{kind}", "groupId": gid},
                }
                for kind, gid in zip(
                    ("groupAssignmentTarget", "exclusionGroupAssignmentTarget"), groups, strict=False
                )
            ]
            out.append(
                {
                    "id": uid(i),
                    "displayName": name,
                    "description": f"{name} for company devices",
                    "createdDateTime": stamp,
                    "lastModifiedDateTime": stamp,
                    "version": 1,
                    **settings,
                    "assignments": assignments,
                    "scheduledActionsForRule": [
                        {
                            "id": uid(i, "rule"),
                            "ruleName": "PasswordRequired",
                            "scheduledActionConfigurations": [
                                {
                                    "id": uid(i, "action", n),
                                    "notificationTemplateId": None,
                                    "notificationMessageCCList": [],
                                    **c,
                                }
                                for n, c in enumerate(configs)
                            ],
                        }
                    ],
                }
            )
        return out

    def _make_partners(self) -> list[Obj]:
        """One partner organisation (Fabrikam) trusted for MFA, whose users sync in, and to which only the
        first group may go out for B2B collaboration (its id in the targets: a restore rewrites it)."""
        tenant = str(uuid.uuid5(uuid.UUID(self.tenant_id), "partner:fabrikam"))  # (ids of its own, as above)
        group = {"target": self.groups[0]["id"], "targetType": "group"}
        return [
            {
                "tenantId": tenant,
                "inboundTrust": {
                    "isMfaAccepted": True,
                    "isCompliantDeviceAccepted": False,
                    "isHybridAzureADJoinedDeviceAccepted": False,
                },
                "b2bCollaborationOutbound": {
                    "usersAndGroups": {"accessType": "allowed", "targets": [group]},
                    "applications": {
                        "accessType": "allowed",
                        "targets": [{"target": "AllApplications", "targetType": "application"}],
                    },
                },
                "automaticUserConsentSettings": {"inboundAllowed": True, "outboundAllowed": False},
                "identitySynchronization": {
                    "tenantId": tenant,
                    "displayName": "Fabrikam",
                    "userSyncInbound": {"isSyncAllowed": True},
                },
            }
        ]


def generate(users: int, *, rng_seed: int = 1, now: datetime | None = None, demo: bool = False) -> Obj:
    """The raw (not yet completed) seed of a generated tenant."""
    clock = now or baseline.seed_clock()
    if clock.tzinfo is None:
        clock = clock.replace(tzinfo=timezone.utc)
    # Millions of small containers and no cycles: the cyclic collector would rescan the growing heap again
    # and again for nothing (it doubled the run time at 100k users).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return TenantGenerator(users, rng_seed, clock, demo).build()
    finally:
        if was_enabled:
            gc.enable()
