"""Deterministic demo data: HQ and provincial centres, staff, customers with packages and six months of bills.

Everything numeric that comes from the seed case studies lives in data/demo_centre.yaml."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from hotline.core import audit
from hotline.core.clock import to_local
from hotline.core.modules import domain_modules
from hotline.core.security import hash_password
from hotline.customers.models import Bill, Customer, CustomerNumber, Package, SpSubscription, Subscription
from hotline.org.models import OrgUnit, Shift, Standard, User, UserRole, UserSkill

CONFIG_PATH = Path(__file__).resolve().parent / "data" / "demo_centre.yaml"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬辉鑫宇浩然子轩欣怡梓涵雨桐一诺晨阳思远佳琪嘉怡俊杰文博雅婷志强建国海燕春梅晓东丹丹婷婷小龙"
ROLE_MIX = [("agent", 0.80), ("expert_seat", 0.07), ("qa_inspector", 0.03), ("trainer", 0.01),
            ("knowledge_editor", 0.01), ("workforce_planner", 0.01)]


def load_config(path: Path = CONFIG_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _id_number(rng: random.Random, prefix: str) -> str:
    """An 18-character resident ID with a valid GB 11643 check digit (fictional people)."""
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
    body = f"{prefix}{rng.randrange(1, 9999):04d}{born:%Y%m%d}{rng.randrange(0, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]
    return body + check


@dataclass
class SeedResult:
    provinces: int = 0
    users: int = 0
    customers: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)


def _unit(session: Session, parent: OrgUnit | None, kind: str, code: str, name: str, name_en: str = "") -> OrgUnit:
    unit = OrgUnit(kind=kind, code=code, name=name, name_en=name_en, parent_id=parent.id if parent else None)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    session.flush()
    return unit


def already_seeded(session: Session) -> bool:
    return session.execute(select(OrgUnit.id).limit(1)).first() is not None


def seed(session: Session, *, now: datetime, seed: int = 7, customers: int | None = None,
         progress: Callable[[str, int, int], None] | None = None) -> SeedResult:
    """Create the whole demo deployment in the caller's transaction."""
    cfg = load_config()
    rng = random.Random(seed)
    report = progress or (lambda _what, _done, _total: None)
    result = SeedResult()
    pw_hash = hash_password(cfg["demo_password"])  # one hash for every demo login (demo data only)
    pin_hash = hash_password(cfg["demo_customer_pin"])

    hq_cfg = cfg["hq"]
    hq = _unit(session, None, "hq", hq_cfg["code"], hq_cfg["name"], hq_cfg["name_en"])
    for key, value in hq_cfg["standards"].items():
        session.add(Standard(unit_id=hq.id, key=key, value=value))
    packages = {p["code"]: Package(code=p["code"], name=p["name"], brand=p["brand"], monthly_fee_cents=p["fee"],
                                   data_mb=p["data_mb"], voice_min=p["voice_min"]) for p in cfg["packages"]}
    session.add_all(packages.values())
    session.flush()
    by_brand: dict[str, list[Package]] = {}
    for p in packages.values():
        by_brand.setdefault(p.brand, []).append(p)

    staff_no = 0
    for p_index, prov in enumerate(cfg["provinces"]):
        province = _unit(session, hq, "province", prov["code"], prov["name"], prov["name_en"])
        result.provinces += 1
        for key, value in prov.get("standards", {}).items():
            session.add(Standard(unit_id=province.id, key=key, value=value))
        for sh in cfg["shifts"]:
            session.add(Shift(unit_id=province.id, name=sh["name"], start=sh["start"], end=sh["end"]))
        teams: dict[str, OrgUnit] = {}
        regions: dict[str, OrgUnit] = {}
        for reg in prov["regions"]:
            region = _unit(session, province, "region", reg["code"], reg["name"], reg["name_en"])
            regions[reg["code"]] = region
            for i, team_name in enumerate(reg["teams"], start=1):
                teams[team_name] = _unit(session, region, "team", f"{reg['code']}-T{i:02d}", team_name)
        departments = {d: _unit(session, province, "department", f"{prov['code']}-D{i:02d}", d)
                       for i, d in enumerate(prov["departments"], start=1)}

        users: list[dict[str, Any]] = []
        roles: list[dict[str, Any]] = []
        skills: list[dict[str, Any]] = []

        def add_user(username: str, name: str, unit: OrgUnit, role: str, tier: str = "",
                     skillset: dict[str, int] | None = None) -> None:
            nonlocal staff_no
            staff_no += 1
            users.append({"id": staff_no, "username": username, "display_name": name,
                          "password_hash": pw_hash, "unit_id": unit.id, "employee_no": f"{prov['code']}{staff_no:05d}",
                          "tier": tier, "star_level": rng.randint(1, 5), "cert_level": rng.randint(1, 5),
                          "career_stage": rng.choice(["new", "growing", "mature"]),
                          "career_track": rng.choice(["junior", "intermediate", "senior"]),
                          "created_at": now, "locale": "zh_CN", "active": True, "must_change_password": False,
                          "failed_logins": 0, "version": 1})
            roles.append({"user_id": staff_no, "role": role})
            for skill, level in (skillset or {}).items():
                skills.append({"user_id": staff_no, "skill": skill, "level": level})

        if p_index == 0:
            for login in cfg["demo_logins"]:
                if login.get("at_hq"):
                    unit = hq
                elif "team" in login:
                    unit = teams[login["team"]]
                elif "region" in login:
                    unit = regions[login["region"]]
                elif "department" in login:
                    unit = departments[login["department"]]
                else:
                    unit = province
                add_user(login["username"], login["name"], unit, login["role"], login.get("tier", ""),
                         login.get("skills"))
                result.logins.append((login["username"], cfg["demo_password"], login["role"]))
        team_list = list(teams.values())
        for t_index, team in enumerate(team_list):
            add_user(f"{prov['code'].lower()}tl{t_index + 1:02d}", _name(rng), team, "team_leader")
        for reg in regions.values():
            add_user(f"{prov['code'].lower()}sl{reg.id}", _name(rng), reg, "shift_leader")
        for d_index, dept in enumerate(departments.values()):
            add_user(f"{prov['code'].lower()}bo{d_index + 1:02d}", _name(rng), dept, "backoffice")
        queue_codes = [q["code"] for q in cfg["queues"]]
        for i in range(max(prov["staff"] - len(users), 0)):
            role = rng.choices([r for r, _ in ROLE_MIX], weights=[w for _, w in ROLE_MIX])[0]
            team = team_list[i % len(team_list)]
            skillset = {"regular": rng.randint(1, 5)}
            for extra in rng.sample(queue_codes[2:], k=rng.randint(0, 2)):
                skillset[extra] = rng.randint(1, 5)
            if role == "expert_seat":
                skillset.update({"complaint": rng.randint(3, 5), "vip": rng.randint(3, 5)})
            tier = "expert" if role == "expert_seat" else rng.choice(["A", "A", "A+", "B"])
            add_user(f"{prov['code'].lower()}{i + 1:04d}", _name(rng), team, role, tier,
                     skillset if role in ("agent", "expert_seat") else None)
        session.execute(insert(User), users)
        session.execute(insert(UserRole), roles)
        if skills:
            session.execute(insert(UserSkill), skills)
        result.users += len(users)
        n_customers = customers if (customers is not None and p_index == 0) else prov["customers"]
        if customers is not None and p_index > 0:
            n_customers = max(customers // 25, 50)
        _seed_customers(session, rng=rng, now=now, province=province, prov=prov, cfg=cfg, count=n_customers,
                        by_brand=by_brand, pin_hash=pin_hash, report=report)
        result.customers += n_customers
    _sync_sequences(session, ("users", "customers"))
    audit.record(session, actor=audit.SYSTEM, at=now, action="demo.seed", target_type="deployment",
                 detail={"seed": seed, "provinces": result.provinces, "users": result.users,
                         "customers": result.customers})
    return result


def seed_domains(session: Session, *, now: datetime, today_history: bool = True) -> None:
    """Each domain's own demo data (work-order catalogues, knowledge articles ...), for `hotline seed`/`demo`:
    `<domain>.service.seed_demo(db_session=, now=, config=)`; `config["today_history"]` says whether to simulate
    today's contacts and agent states up to now. Tests seed only the core and bring their own."""
    cfg = {**load_config(), "today_history": today_history}
    for service in domain_modules("service"):
        if hasattr(service, "seed_demo"):
            service.seed_demo(db_session=session, now=now, config=cfg)


def _sync_sequences(session: Session, tables: tuple[str, ...]) -> None:
    """Rows inserted with explicit ids leave PostgreSQL's sequences behind; move them on."""
    if session.get_bind().dialect.name == "postgresql":
        for table in tables:
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))


def _seed_customers(session: Session, *, rng: random.Random, now: datetime, province: OrgUnit, prov: dict[str, Any],
                    cfg: dict[str, Any], count: int, by_brand: dict[str, list[Package]], pin_hash: str,
                    report: Callable[[str, int, int], None]) -> None:
    brands = cfg["brands"]
    today = to_local(now).date()
    months = []
    y, m = today.year, today.month
    for _ in range(6):
        m -= 1
        if m == 0:
            y, m = y - 1, 12
        months.append(f"{y}-{m:02d}")
    start_id = (session.execute(select(Customer.id).order_by(Customer.id.desc()).limit(1)).scalar() or 0) + 1
    used_numbers: set[str] = set()
    batch = 5000
    for offset in range(0, count, batch):
        rows, numbers, subs, bills, sps = [], [], [], [], []
        for i in range(offset, min(offset + batch, count)):
            cid = start_id + i
            brand = rng.choices(brands, weights=[b["share"] for b in brands])[0]
            vip = rng.random() < brand["vip_share"]
            while True:
                number = rng.choice(prov["phone_prefixes"]) + f"{rng.randrange(0, 10**8):08d}"
                if number not in used_numbers:
                    used_numbers.add(number)
                    break
            initial = rng.random() < 0.1
            rows.append({"id": cid, "province_id": province.id, "org_path": province.path,
                         "area": rng.choice(prov["areas"]), "name": _name(rng),
                         "id_number": _id_number(rng, prov["id_prefix"]), "brand": brand["name"],
                         "segment": "vip" if vip else "regular",
                         "vip_level": rng.choice(["silver", "gold", "diamond"]) if vip else "",
                         "status": "active" if rng.random() > 0.02 else "suspended",
                         "balance_cents": rng.randrange(-2000, 30000), "ring_back_tone": rng.random() < 0.3,
                         "service_password_hash": None if initial else pin_hash, "password_is_initial": initial,
                         "password_failures": 0, "password_locked": False, "created_at": now, "version": 1})
            numbers.append({"customer_id": cid, "number": number, "kind": "mobile"})
            package = rng.choice(by_brand[brand["name"]])
            subs.append({"customer_id": cid, "package_id": package.id,
                         "effective_from": today - timedelta(days=rng.randrange(200, 2000)), "effective_to": None})
            for month in months:
                extra = rng.randrange(0, 4000)
                bills.append({"customer_id": cid, "month": month, "amount_cents": package.monthly_fee_cents + extra,
                              "paid": rng.random() > 0.05,
                              "items": {"package": package.monthly_fee_cents, "data_extra": extra // 2,
                                        "voice_extra": extra - extra // 2}})
            if rng.random() < 0.12:
                sp = rng.choice(cfg["sp_services"])
                sps.append({"customer_id": cid, "sp_code": sp["code"], "name": sp["name"],
                            "monthly_fee_cents": sp["fee"], "active": True, "cancelled_at": None})
        session.execute(insert(Customer), rows)
        session.execute(insert(CustomerNumber), numbers)
        session.execute(insert(Subscription), subs)
        session.execute(insert(Bill), bills)
        if sps:
            session.execute(insert(SpSubscription), sps)
        report(prov["code"], min(offset + batch, count), count)
