"""Knowledge-base fixtures: principals of each role and a small fixed corpus."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from hotline.core.auth import Principal
from hotline.core.clock import ManualClock
from hotline.knowledge import service
from hotline.knowledge.schemas import parse_article

PROVINCE = "/1/2/"

CORPUS = [
    {"id": "bill-balance", "title": "话费余额查询方法", "question": "客户想知道手机还剩多少钱",
     "body": "可拨打10000按1号键，或发送短信CXHF到10001，或登录掌上营业厅查询当前余额和本月消费。",
     "answer_plain": "您拨打10000按1，或者发短信CXHF到10001，就能查到余额。",
     "keywords": ["查话费", "余额"], "category": ["账务", "查询", "余额"], "business_types": ["mobile"]},
    {"id": "bill-detail", "title": "通话详单查询与打印", "question": "客户要查上个月打了哪些电话",
     "body": "详单可在掌上营业厅查询近六个月记录，需要服务密码验证；营业厅可打印盖章详单。",
     "keywords": ["详单", "通话记录"], "category": ["账务", "查询", "详单"], "business_types": ["mobile"]},
    {"id": "crbt", "title": "彩铃业务开通与退订", "question": "客户想换个彩铃或者不要彩铃了",
     "body": "视频彩铃发送短信KTCL到10001开通，月功能费5元；退订发送TDCL。",
     "keywords": ["彩铃", "视频彩铃"], "category": ["增值业务", "彩铃", "开通退订"], "business_types": ["mobile"]},
    {"id": "mnp", "title": "携号转网办理条件", "question": "客户想带着号码转到别的运营商",
     "body": "携号转网需实名登记、无欠费、在网满120天、无合约限制。发送CXXZ#姓名#证件号到10085查询资格。",
     "keywords": ["携号转网", "携转"], "category": ["号码", "携号转网", "条件"], "business_types": ["mobile"]},
    {"id": "bb-down", "title": "宽带无法上网故障排查", "question": "家里宽带突然上不了网",
     "body": "请检查光猫LOS灯是否红灯闪烁，如闪红灯说明光纤中断，需要报修；如正常，请重启光猫和路由器。",
     "keywords": ["断网", "光猫红灯"], "category": ["宽带", "故障", "断网"], "business_types": ["broadband"]},
    {"id": "bb-slow", "title": "宽带网速慢处理", "question": "家里网速很慢看视频卡",
     "body": "先用测速工具测速，有线测速正常而无线慢时建议调整路由器位置或升级千兆路由器；FTTR全屋光纤可解决大户型覆盖。",
     "keywords": ["网速慢", "测速", "FTTR"], "category": ["宽带", "故障", "网速"], "business_types": ["broadband"]},
    {"id": "puk", "title": "手机卡被锁PUK码解锁", "question": "手机提示输入PUK码",
     "body": "PIN码连续输错三次SIM卡会被锁，需要PUK码解锁。客户实名验证后可告知PUK码；PUK输错十次需补卡。",
     "keywords": ["PUK", "PIN", "锁卡"], "category": ["号码", "SIM卡", "解锁"], "business_types": ["mobile"]},
    {"id": "volte", "title": "VoLTE高清通话开通", "question": "打电话的时候不能上网",
     "body": "开通VoLTE高清通话后，通话时可同时使用4G/5G上网。手机设置中打开VoLTE开关即可，不收取功能费。",
     "keywords": ["VoLTE", "高清通话"], "category": ["语音", "高清通话", "开通"], "business_types": ["mobile"]},
    {"id": "suspend-arrears", "title": "欠费停机后如何复机", "question": "手机欠费被停了",
     "body": "欠费停机后缴清欠款即可自动复机，一般在缴费后半小时内恢复通话。",
     "keywords": ["停机", "复机", "欠费"], "category": ["账务", "停复机", "欠费"], "business_types": ["mobile"]},
    {"id": "apn", "title": "APN接入点设置方法", "question": "手机能打电话但上不了网",
     "body": "进入手机设置-移动网络-接入点名称，新建APN，名称填写ctnet，保存后重启手机。",
     "keywords": ["APN", "接入点"], "category": ["终端", "设置", "APN"], "business_types": ["mobile"]},
]


def principal(*roles: str, user_id: int = 7, province: str = PROVINCE) -> Principal:
    return Principal.build(user_id=user_id, username=f"u{user_id}", display_name=f"用户{user_id}", roles=roles,
                           unit_path=province + "9/", team_path=province + "9/", region_path=province,
                           province_path=province, province_id=2)


@pytest.fixture
def agent() -> Principal:
    return principal("agent", user_id=11)


@pytest.fixture
def editor() -> Principal:
    return principal("knowledge_editor", user_id=12)


@pytest.fixture
def trainer() -> Principal:
    return principal("trainer", user_id=13)


@pytest.fixture
def corpus(db: Session, clock: ManualClock) -> Session:
    """The fixed corpus, imported (published) in the editors' province."""
    service.import_articles(db, records=[parse_article(a) for a in CORPUS], at=clock.now(), org_path=PROVINCE)
    db.flush()
    return db


@pytest.fixture
def make_principal():  # type: ignore[no-untyped-def]
    """Build a principal of given roles (province overridable)."""
    return principal


@pytest.fixture(scope="module")
def kb_live(live_server):  # type: ignore[no-untyped-def]
    """The module's live server (tests/conftest.py)."""
    return live_server


@pytest.fixture
def kb_browser(browser):  # type: ignore[no-untyped-def]
    """The session's one browser."""
    return browser
