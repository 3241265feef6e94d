package report

import (
	"fmt"
	"time"
)

// words are the report's fixed texts in one language.
type words struct {
	Lang                                                     string
	Daily, Weekly                                            string
	Severity                                                 [4]string
	Systems                                                  map[string]string
	NoSystem                                                 string
	Actions                                                  map[string]string
	Kinds                                                    map[string]string
	Refused                                                  string
	Overview, BySystem, Noisiest, Standing, Chattering       string
	Timing, Missed, Zones, Devices, Generators, Tanks, Meter string
	Raised, Total, Rule, Message, Count, DevicesN, Device    string
	Area, Since, Lasted, Sev, Deadline, Done, Open           string
	Median, MaxTook, MissedN, What, Took, Ack, Resolve       string
	Time, Zone, Action, User, Reason, Offline, Fault         string
	Outages, NoStatus, Start, Transfer, Back, Stop, RunOn    string
	Duration, Running, Before, Min, Max, Readings, Unit      string
	Use, Previous, WeekBefore, None, NoReadings, Generated   string
	Period, Burst, ChatterRule, StillOpen, NotSeen, AllOK    string
	Reports                                                  string
	Weekdays                                                 [7]string
	Summary, SummaryOffline, End                             string
}

var zh = &words{
	Lang: "zh", Daily: "运行日报", Weekly: "运行周报", Reports: "运行报告",
	Weekdays: [7]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"},
	Severity: [4]string{"紧急", "重要", "次要", "提示"},
	Systems: map[string]string{"power": "供配电", "fire": "消防报警", "fire-water": "消防给水", "domestic-water": "生活给水",
		"water": "给水", "drainage": "排水", "perimeter": "周界防范", "home": "入户报警", "access": "门禁", "cctv": "视频监控",
		"intercom": "楼宇对讲", "elevator": "电梯", "environment": "机房环境", "flooding": "水浸", "fountain": "水景",
		"lighting": "照明", "sanitation": "环境卫生", "supervision": "系统自检"},
	NoSystem: "其他",
	Actions:  map[string]string{"arm": "布防", "disarm": "撤防", "bypass": "旁路"},
	Kinds:    map[string]string{"power_meter": "电表", "water_meter": "水表", "gas_meter": "燃气表"},
	Refused:  "（被拒绝）",
	Overview: "概况", BySystem: "按系统与级别的告警", Noisiest: "告警最多的十条规则", Standing: "未恢复的告警",
	Chattering: "频繁抖动的告警", Timing: "确认与处理时限（篇4·02PART·11）", Missed: "超时明细",
	Zones: "防区布防/撤防/旁路记录", Devices: "设备在线情况", Generators: "发电机运行", Tanks: "水池水箱液位",
	Meter:  "水电用量",
	Raised: "新增告警", Total: "合计", Rule: "规则", Message: "告警内容", Count: "次数", DevicesN: "设备数",
	Device: "设备", Area: "位置", Since: "发生时间", Lasted: "已持续", Sev: "级别", Deadline: "时限",
	Done: "已完成", Open: "未完成", Median: "中位用时", MaxTook: "最长用时", MissedN: "超时", What: "事项",
	Took: "用时", Ack: "确认", Resolve: "恢复", Time: "时间", Zone: "防区", Action: "操作", User: "操作人",
	Reason: "原因", Offline: "离线时长", Fault: "故障时长", Outages: "离线次数", NoStatus: "无状态记录",
	Start: "启动", Transfer: "切换至发电", Back: "切回市电", Stop: "停机", RunOn: "切回后续运行",
	Duration: "运行时长", Running: "运行中", Before: "期前已运行", Min: "最低", Max: "最高", Readings: "读数",
	Unit: "单位", Use: "本期用量", Previous: "前一期", WeekBefore: "上周同日", None: "无",
	NoReadings: "未配置InfluxDB，无读数统计", Generated: "生成于", Period: "统计时段", Burst: "一分钟内最多",
	ChatterRule: "判定：%s内触发超过%d次", StillOpen: "尚未完成", NotSeen: "未见", AllOK: "全部在时限内",
	Summary: "%s（%s）：新增告警%d条（紧急%d条），未恢复%d条，超时%d项", SummaryOffline: "，离线设备%d台", End: "。",
}

var en = &words{
	Lang: "en", Daily: "Daily report", Weekly: "Weekly report", Reports: "Reports",
	Weekdays: [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
	Severity: [4]string{"Critical", "Major", "Minor", "Warning"},
	Systems:  map[string]string{},
	NoSystem: "other",
	Actions:  map[string]string{"arm": "arm", "disarm": "disarm", "bypass": "bypass"},
	Kinds:    map[string]string{"power_meter": "power", "water_meter": "water", "gas_meter": "gas"},
	Refused:  " (refused)",
	Overview: "Overview", BySystem: "Alarms by system and severity", Noisiest: "Ten noisiest rules", Standing: "Standing alarms",
	Chattering: "Chattering alarms", Timing: "Time to acknowledge and to resolve (篇4·02PART·11)", Missed: "Missed deadlines",
	Zones: "Zone arm / disarm / bypass log", Devices: "Device availability", Generators: "Generator runs", Tanks: "Tank levels",
	Meter:  "Water and energy use",
	Raised: "Raised", Total: "Total", Rule: "Rule", Message: "Message", Count: "Count", DevicesN: "Devices",
	Device: "Device", Area: "Area", Since: "Raised at", Lasted: "Standing for", Sev: "Severity", Deadline: "Deadline",
	Done: "Done", Open: "Open", Median: "Median", MaxTook: "Longest", MissedN: "Missed", What: "What",
	Took: "Took", Ack: "acknowledge", Resolve: "resolve", Time: "Time", Zone: "Zone", Action: "Action", User: "User",
	Reason: "Reason", Offline: "Offline", Fault: "Fault", Outages: "Outages", NoStatus: "no status recorded",
	Start: "Start", Transfer: "Transfer to generator", Back: "Back to mains", Stop: "Stop", RunOn: "Run-on",
	Duration: "Ran for", Running: "running", Before: "before the period", Min: "Min", Max: "Max", Readings: "Readings",
	Unit: "Unit", Use: "Use", Previous: "Period before", WeekBefore: "Same day last week", None: "none",
	NoReadings: "No InfluxDB configured: no readings", Generated: "Generated", Period: "Period", Burst: "Most in a minute",
	ChatterRule: "criterion: raised more than %[2]d times within %[1]s", StillOpen: "still open", NotSeen: "not seen",
	AllOK:   "all within their deadlines",
	Summary: "%s (%s): %d alarms raised (%d critical), %d standing, %d deadlines missed", SummaryOffline: ", %d devices offline", End: ".",
}

func wordsOf(lang string) *words {
	if lang == "en" {
		return en
	}
	return zh
}

func (w *words) system(s string) string {
	if s == "" {
		return w.NoSystem
	}
	if n := w.Systems[s]; n != "" {
		return n
	}
	return s
}

func (w *words) Title(p Period) string {
	if p.Kind == KindWeek {
		return w.Weekly
	}
	return w.Daily
}

// dur writes a duration for people: 3分12秒, 2小时5分, 1天3小时 (or in
// English 3m12s, 2h5m, 1d3h).
func (w *words) dur(d time.Duration) string {
	d = d.Round(time.Second)
	u := [3]string{"天", "小时", "分"}
	s := "秒"
	if w.Lang == "en" {
		u, s = [3]string{"d", "h", "m"}, "s"
	}
	two := func(a time.Duration, ua string, b time.Duration, ub string) string {
		if b == 0 {
			return fmt.Sprintf("%d%s", a, ua)
		}
		return fmt.Sprintf("%d%s%d%s", a, ua, b, ub)
	}
	switch {
	case d >= 24*time.Hour:
		return two(d/(24*time.Hour), u[0], d%(24*time.Hour)/time.Hour, u[1])
	case d >= time.Hour:
		return two(d/time.Hour, u[1], d%time.Hour/time.Minute, u[2])
	case d >= time.Minute:
		return two(d/time.Minute, u[2], d%time.Minute/time.Second, s)
	}
	return fmt.Sprintf("%d%s", d/time.Second, s)
}

func (w *words) weekday(d time.Weekday) string { return w.Weekdays[d] }
