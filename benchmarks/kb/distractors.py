"""Generated distractor articles: internal notices, campaigns, training notes, system changes, handset
sheets and partner rules that share the customer articles' vocabulary but answer no customer question.

Deterministic for a seed; ids are `dx-000001`…"""

from __future__ import annotations

import random
from collections.abc import Iterator

CITIES = ("长沙", "株洲", "湘潭", "衡阳", "岳阳", "常德", "益阳", "郴州", "永州", "怀化", "娄底", "邵阳", "张家界",
          "湘西", "南昌", "九江", "赣州", "合肥", "芜湖", "武汉", "宜昌", "襄阳", "成都", "绵阳", "贵阳", "昆明")
PRODUCTS = ("5G套餐", "融合套餐", "流量包", "视频彩铃", "千兆宽带", "FTTR", "IPTV", "天翼看家", "天翼云盘", "副卡",
            "翼支付", "国际漫游包", "校园套餐", "合约机", "加油包", "云电脑", "宽带提速包", "固话", "集团V网",
            "物联网卡", "eSIM手表", "靓号", "积分商城", "权益会员", "话费券", "定向流量包", "不限量套餐")
ACTIONS = ("营销", "存量维系", "拉新", "续约", "提值", "挽留", "交叉销售", "地推", "厅店促销", "外呼")
TOPICS = ("投诉处理", "携号转网挽留", "服务规范", "话术提升", "业务差错", "质检标准", "宽带装维", "资费政策",
          "实名制管理", "反诈宣传", "渠道管理", "客户满意度", "工单流转", "系统操作", "应急预案")
SYSTEMS = ("CRM", "计费", "客服工作台", "装维调度", "掌上营业厅", "智能外呼", "质检", "知识库", "工单", "BSS")
FEATURES = ("批量受理", "一键复机", "工单自动派发", "欠费预警", "套餐推荐", "人像比对", "电子协议签署", "积分兑换",
            "流量提醒", "退费审批", "资源预占", "预约上门", "短信模板", "详单脱敏", "账单展示")
BRANDS = ("华为", "荣耀", "小米", "OPPO", "vivo", "中兴", "天翼", "苹果", "三星", "一加")
METRICS = ("投诉率", "一次解决率", "接通率", "满意度", "装机及时率", "修障及时率", "离网率", "携出率", "欠费回收率",
           "流量包渗透率", "宽带新增", "5G渗透率")
SEGMENTS = ("老年客户", "校园客户", "政企客户", "农村客户", "高价值客户", "新入网客户", "沉默客户", "宽带单产品客户")
PERKS = ("首月免费", "赠送10GB流量", "话费返还50元", "宽带提速至千兆", "免费换5G卡", "积分翻倍", "赠送视频会员",
         "光猫免费升级", "月费八折", "送路由器")
FILLER = (
    "请各单位高度重视，按时上报进展。", "相关数据以系统统计为准。", "本通知自发布之日起执行。",
    "各营业厅需提前做好物料和人员准备。", "执行中遇到问题请及时反馈至省公司。", "考核结果纳入月度绩效。",
    "请班组长组织员工学习并签字确认。", "未尽事宜另行通知。", "请严格遵守客户信息保护规定。",
    "活动期间加强服务质量监控，防止误导营销。", "请做好客户解释口径的统一。", "涉及资费的宣传须经审核。",
)


def _body(rng: random.Random, lead: str) -> str:
    return lead + "".join(rng.sample(FILLER, 3))


def _one(rng: random.Random) -> tuple[str, str, str, list[str], list[str], str]:
    """(title, question, body, category, keywords, business type)."""
    kind = rng.randrange(7)
    city, prod, prod2 = rng.choice(CITIES), rng.choice(PRODUCTS), rng.choice(PRODUCTS)
    month = rng.randint(1, 12)
    biz = "broadband" if any(k in prod for k in ("宽带", "FTTR", "IPTV", "看家", "固话")) else "mobile"
    if kind == 0:
        act, seg, perk = rng.choice(ACTIONS), rng.choice(SEGMENTS), rng.choice(PERKS)
        return (f"{city}分公司{month}月{prod}{act}活动通知", "",
                _body(rng, f"为提升{prod}办理量，{city}分公司于{month}月开展{act}活动，面向{seg}，"
                           f"办理{prod}或{prod2}可享{perk}。"),
                ["内部通知", "营销活动", city], [prod, act], biz)
    if kind == 1:
        topic = rng.choice(TOPICS)
        return (f"{topic}专项培训纪要（第{rng.randint(1, 60)}期）", "",
                _body(rng, f"本期培训围绕{topic}展开，结合{prod}和{prod2}典型案例，讲解了受理要点与常见差错，"
                           f"并对{rng.choice(METRICS)}进行了分析。"),
                ["培训", "纪要", topic], [topic, prod], biz)
    if kind == 2:
        system, feat = rng.choice(SYSTEMS), rng.choice(FEATURES)
        return (f"{system}系统V{rng.randint(1, 9)}.{rng.randint(0, 30)}版本上线说明", "",
                _body(rng, f"{system}系统新增{feat}功能，涉及{prod}受理流程调整，上线期间{rng.choice(FEATURES)}"
                           f"暂停使用，请一线人员熟悉新界面。"),
                ["系统", "版本说明", system], [system, feat], biz)
    if kind == 3:
        metric = rng.choice(METRICS)
        return (f"{city}{month}月{metric}指标通报", "",
                _body(rng, f"{month}月{city}{metric}环比变化{rng.randint(1, 30)}%，其中{prod}相关工单占比"
                           f"{rng.randint(5, 60)}%，{prod2}办理量排名第{rng.randint(1, 14)}。"),
                ["运营", "指标通报", metric], [metric, city], biz)
    if kind == 4:
        brand = rng.choice(BRANDS)
        model = f"{brand}{rng.choice(('Mate', 'Nova', 'Reno', 'X', 'S', 'Pro', 'Note'))}{rng.randint(10, 90)}"
        feats = "、".join(rng.sample(("5G双卡", "VoLTE高清通话", "eSIM", "WiFi6", "NFC", "卫星通话", "北斗定位"), 3))
        return (f"{model}终端参数及合约政策", "",
                _body(rng, f"{model}支持{feats}，合约购机承诺{rng.choice((129, 169, 199, 239))}元{prod}"
                           f"在网{rng.choice((12, 24, 36))}个月，渠道酬金按{rng.randint(3, 12)}%结算。"),
                ["终端", "机型", brand], [model, "合约"], "mobile")
    if kind == 5:
        channel = rng.choice(("社会渠道", "电子渠道", "自有厅", "校园渠道", "政企渠道"))
        return (f"{channel}{prod}酬金政策调整（{month}月起）", "",
                _body(rng, f"自{month}月起，{channel}发展{prod}的一次性酬金调整为{rng.randint(10, 200)}元，"
                           f"{prod2}按月分成，稽核发现虚假办理的扣罚酬金。"),
                ["渠道", "酬金", channel], [prod, "酬金"], biz)
    seg = rng.choice(SEGMENTS)
    return (f"{seg}{prod}服务保障方案（{city}）", "",
            _body(rng, f"针对{seg}在{prod}使用中的诉求，{city}设立专席，建立{rng.choice(TOPICS)}闭环机制，"
                       f"重点关注{rng.choice(METRICS)}。"),
            ["服务保障", "专项方案", seg], [seg, prod], biz)


def generate(n: int, *, seed: int = 7) -> Iterator[dict[str, object]]:
    """n distractor articles in the import format."""
    rng = random.Random(seed)
    for i in range(1, n + 1):
        title, question, body, category, keywords, biz = _one(rng)
        yield {"id": f"dx-{i:06d}", "kind": "notice", "title": title, "question": question, "body": body,
               "category": category, "keywords": keywords, "business_types": [biz]}
