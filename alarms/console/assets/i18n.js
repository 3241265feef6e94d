// The console's words in Chinese (default) and English. Device names and
// messages are never translated: they are shown as the site and rule files
// write them.
"use strict";
window.I18N = {
  zh: {
    "title": "监控中心", "stale": "与服务器的连接已断开 — 画面可能不是最新的",
    "locked": "控制台已锁定：告警仍在显示，操作前请输入密码", "unlock": "解锁",
    "tab.alarms": "告警", "tab.zones": "防区", "tab.devices": "设备", "tab.history": "历史",
    "silence": "消音5分钟", "silenced": "已消音", "logout": "退出",
    "login.title": "值班员登录", "login.user": "用户名", "login.password": "密码", "login.submit": "登录",
    "ack.selected": "确认所选", "ack": "确认", "close": "关闭", "ok": "确定", "cancel": "取消",
    "col.severity": "级别", "col.time": "时间", "col.place": "位置", "col.device": "设备", "col.message": "告警",
    "col.value": "值", "col.state": "状态", "col.actions": "处理", "col.zone": "防区", "col.kind": "类型",
    "col.zoneState": "状态", "col.status": "状态", "col.lastGood": "最后正常读数", "col.lastError": "最近错误",
    "col.signal": "信号", "col.trend": "近1小时", "signals": "实时数据",
    "h.from": "从", "h.to": "到", "h.rule": "规则", "h.search": "查询", "h.csv": "导出CSV", "h.change": "变化", "h.by": "操作人",
    "popup.title": "新告警", "popup.zone": "防区/房号", "popup.type": "告警类型", "popup.details": "防区信息", "popup.camera": "摄像机",
    "sev.critical": "紧急", "sev.major": "重要", "sev.minor": "次要", "sev.warning": "提示",
    "state.active-unacknowledged": "未确认", "state.active-acknowledged": "已确认", "state.cleared-unacknowledged": "已恢复未确认", "state.normal": "正常",
    "change.raise": "发生", "change.clear": "恢复", "change.ack": "确认",
    "note": "备注", "resolve": "处理完毕", "shelve": "搁置", "unshelve": "取消搁置", "reset": "复位",
    "note.text": "处理记录", "resolve.result": "处理结果", "shelve.reason": "原因", "shelve.minutes": "搁置分钟数",
    "zone.arm": "布防", "zone.armAll": "全部布防", "zone.disarm": "撤防", "zone.bypass": "旁路", "zone.password": "请再次输入密码",
    "zone.armed": "布防", "zone.disarmed": "撤防", "zone.bypassed": "旁路", "zone.alarm": "报警中", "zone.always": "24小时防区",
    "zone.none": "防区功能尚未启用", "kind.perimeter": "周界", "kind.inhome": "户内",
    "dev.online": "在线", "dev.offline": "离线", "dev.fault": "故障", "dev.unknown": "未知",
    "count": "未确认 {u} / 共 {n}", "conn.ok": "● 已连接", "conn.lost": "● 连接断开",
    "err.locked": "控制台已锁定，请先解锁", "err.forbidden": "无此权限", "err.failed": "操作失败：",
    "shelved": "已搁置至", "oos": "停用"
  },
  en: {
    "title": "Control room", "stale": "Connection to the server lost — this screen may be out of date",
    "locked": "Console locked: alarms stay visible; enter your password to act", "unlock": "Unlock",
    "tab.alarms": "Alarms", "tab.zones": "Zones", "tab.devices": "Devices", "tab.history": "History",
    "silence": "Silence 5 min", "silenced": "Silenced", "logout": "Log out",
    "login.title": "Operator login", "login.user": "User", "login.password": "Password", "login.submit": "Log in",
    "ack.selected": "Acknowledge selected", "ack": "Acknowledge", "close": "Close", "ok": "OK", "cancel": "Cancel",
    "col.severity": "Severity", "col.time": "Time", "col.place": "Place", "col.device": "Device", "col.message": "Alarm",
    "col.value": "Value", "col.state": "State", "col.actions": "Actions", "col.zone": "Zone", "col.kind": "Kind",
    "col.zoneState": "State", "col.status": "Status", "col.lastGood": "Last good read", "col.lastError": "Last error",
    "col.signal": "Signal", "col.trend": "Last hour", "signals": "Live values",
    "h.from": "From", "h.to": "To", "h.rule": "Rule", "h.search": "Search", "h.csv": "Export CSV", "h.change": "Change", "h.by": "By",
    "popup.title": "New alarm", "popup.zone": "Zone / room", "popup.type": "Alarm type", "popup.details": "Zone details", "popup.camera": "Camera",
    "sev.critical": "Critical", "sev.major": "Major", "sev.minor": "Minor", "sev.warning": "Warning",
    "state.active-unacknowledged": "Unacknowledged", "state.active-acknowledged": "Acknowledged", "state.cleared-unacknowledged": "Cleared, unacknowledged", "state.normal": "Normal",
    "change.raise": "Raised", "change.clear": "Cleared", "change.ack": "Acknowledged",
    "note": "Note", "resolve": "Resolve", "shelve": "Shelve", "unshelve": "Unshelve", "reset": "Reset",
    "note.text": "Handling note", "resolve.result": "Result", "shelve.reason": "Reason", "shelve.minutes": "Minutes",
    "zone.arm": "Arm", "zone.armAll": "Arm all", "zone.disarm": "Disarm", "zone.bypass": "Bypass", "zone.password": "Enter your password again",
    "zone.armed": "Armed", "zone.disarmed": "Disarmed", "zone.bypassed": "Bypassed", "zone.alarm": "In alarm", "zone.always": "24-hour zone",
    "zone.none": "Zones are not available yet", "kind.perimeter": "Perimeter", "kind.inhome": "In-home",
    "dev.online": "Online", "dev.offline": "Offline", "dev.fault": "Fault", "dev.unknown": "Unknown",
    "count": "{u} unacknowledged / {n} in all", "conn.ok": "● Connected", "conn.lost": "● Disconnected",
    "err.locked": "The console is locked: unlock it first", "err.forbidden": "Not allowed for your role", "err.failed": "Failed: ",
    "shelved": "Shelved until", "oos": "Out of service"
  }
};
