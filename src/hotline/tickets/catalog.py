"""Seed data for the editable classification trees (from the Changsha 10000 and Hubei cases): the
phenomenon tree (障碍现象, 3 levels) and the cause tree recorded on closing (销障原因, 3 levels).
Format: indentation = level; each line `code  中文名  English name`."""

from __future__ import annotations

PHENOMENA = """
mobile 移动/小灵通 Mobile/PHS
  signal 信号 Signal
    no_signal 无信号 No signal
    weak 信号弱 Weak signal
    dropped 通话掉话 Dropped calls
    cannot_connect 无法接通 Cannot connect
  activation 业务开通 Service activation
    not_active 新装未开通 New line not active
    suspend_resume 停复机未生效 Suspend/resume not effective
    feature 功能未开通 Feature not activated
  sms 短信 SMS
    send_fail 无法发送 Cannot send
    receive_fail 无法接收 Cannot receive
    spam 垃圾短信 Spam
  crbt 彩铃 Ring-back tone
    cannot_order 无法开通 Cannot subscribe
    cannot_cancel 无法取消 Cannot cancel
    not_playing 彩铃不生效 Tone not playing
  tariff 资费 Tariff
    sp_charge SP扣费争议 Disputed SP charge
    package_mismatch 套餐资费不符 Package price mismatch
    bill_high 话费异常 Unusually high charges
broadband 宽带 Broadband
  no_access 无法上网 No access
    dial_error 拨号错误 Dial-up error (691/678)
    modem 光猫故障 Modem/ONU fault
    line_down 线路中断 Line down
  slow 网速慢 Slow
    peak_slow 高峰时段慢 Slow at peak hours
    always_slow 持续慢 Always slow
  drops 频繁掉线 Frequent drops
    wifi 无线掉线 Wi-Fi drops
    wired 有线掉线 Wired drops
billing 计费 Billing
  bill_dispute 账单异议 Bill dispute
    double_charge 重复扣费 Charged twice
    wrong_package 套餐计费错误 Wrong package billed
  payment 缴费 Payment
    not_credited 缴费未到账 Payment not credited
    refund 退费 Refund
  invoice 发票 Invoice
    invoice_missing 发票未收到 Invoice not received
    invoice_wrong 发票信息错误 Wrong invoice details
"""

CAUSES = """
network 网络原因 Network
  radio 无线 Radio
    site_down 基站故障 Site down
    coverage 覆盖不足 Poor coverage
    interference 干扰 Interference
  transport 传输 Transport
    fibre_cut 光缆中断 Fibre cut
    cutover 割接 Planned cut-over
  access 接入 Access
    line_fault 线路故障 Line fault
    drop_wire 入户线故障 Drop-wire fault
platform 平台/数据 Platform and data
  hlr HLR数据 HLR data
    hlr_wrong HLR数据错误 Wrong HLR data
  sp SP平台 SP platform
    sp_unsolicited SP违规定制 Unsolicited SP subscription
    sp_platform_fault SP平台故障 SP platform fault
  provisioning 开通 Provisioning
    order_stuck 开通工单未执行 Provisioning order stuck
billing 计费原因 Billing
  rating 计费 Rating
    rating_error 计费错误 Rating error
    package_config 套餐配置错误 Package misconfigured
  payment 账务 Accounts
    payment_delay 缴费延迟到账 Payment delayed
customer 用户原因 Customer side
  terminal 终端 Terminal
    handset_fault 终端故障 Handset fault
    settings 设置错误 Wrong settings
  usage 使用 Usage
    misuse 使用不当 Misuse
    arrears 欠费停机 Suspended for arrears
    no_fault 测试无故障 No fault found
"""


def parse_tree(text: str) -> list[tuple[int, str, str, str, str]]:
    """(level, code, parent_code, name, name_en) rows, parents first; codes are dotted paths."""
    rows: list[tuple[int, str, str, str, str]] = []
    stack: list[str] = []
    for line in text.strip("\n").splitlines():
        if not line.strip():
            continue
        level = (len(line) - len(line.lstrip(" "))) // 2 + 1
        code, name, name_en = line.strip().split(" ", 2)
        stack[level - 1 :] = [code]
        rows.append((level, ".".join(stack), ".".join(stack[:-1]), name, name_en))
    return rows


TREES = {"phenomenon": PHENOMENA, "cause": CAUSES}
