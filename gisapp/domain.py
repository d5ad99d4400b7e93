"""The domain's vocabularies: each value stored in English, with its label (Chinese first)."""
from __future__ import annotations

AREA_LEVELS = {"county": "县 county", "township": "乡镇 township", "village": "村/社区 village"}
# Digits in the statistical division code, by level (GB/T 2260 + township + village).
AREA_CODE_LENGTH = {"county": 6, "township": 9, "village": 12}

PERSON_ROLES = {
    "community_police": "社区民警 community police",
    "auxiliary_police": "辅警 auxiliary police",
    "coordinator": "协管员 coordinator",
    "grid_worker": "网格员 grid worker",
    "patroller": "巡防队员 patroller",
}

CAMERA_KINDS = {"bullet": "枪机 fixed bullet", "dome": "球机 PTZ dome", "panoramic": "全景 panoramic"}
DEVICE_STATUSES = {"online": "在线 online", "offline": "离线 offline", "faulty": "故障 faulty",
                   "planned": "规划 planned"}

# Which cameras a candidate site takes, and the key places (重点部位) siting watches.
SITE_MOUNTS = {"any": "枪机或球机 bullet or dome", "bullet": "仅枪机 bullet only", "dome": "仅球机 dome only"}
KEY_PLACE_KINDS = {"school": "学校 school", "market": "集市 market", "hospital": "医院 hospital",
                   "clinic": "卫生室 clinic", "village_entrance": "村口 village entrance",
                   "crossroads": "路口 crossroads", "station": "车站 station", "government": "机关 government office",
                   "other": "其他 other"}

# IEC 62676-4 (DORI): pixels per metre at the target for each purpose of a camera.
DORI_PURPOSES = {"detect": "探测 detect", "observe": "观察 observe", "recognise": "识别 recognise",
                 "identify": "辨认 identify"}
DORI_PX_PER_M = {"detect": 25.0, "observe": 62.0, "recognise": 125.0, "identify": 250.0}
# What a proposed camera watches (the demand of camera siting).
DEMAND_KINDS = {"dispute": "矛盾纠纷 dispute", "gap": "覆盖盲区 coverage gap", "hotspot": "热点 hot spot",
                "alarm": "一键报警 alarm", "key_place": "重点部位 key place"}
# Camera siting's choices (POST /api/siting/propose): the problem, the method and where the candidate sites come from.
SITING_PROBLEMS = {"mclp": "最大覆盖 maximal covering (MCLP)", "lscp": "全覆盖 set covering (LSCP)"}
SITING_METHODS = {"fast": "快速 fast", "exact": "精确 exact (MIP)"}
# Why a proposal has fewer cameras than asked for (gisapp/siting/propose.py ``shortfall``).
SITING_SHORTFALLS = {"all_covered": "重点部位均已被现有摄像机覆盖，无需新增 every key place is already covered",
                     "budget": "预算不足以再增加一台（最便宜的候选造价见下） the budget buys no further camera "
                               "(the cheapest option's cost follows)",
                     "nothing_more": "其余候选不再增加覆盖 no other option adds anything worth watching"}
SITING_CANDIDATES = {"layer": "候选点位图层 sites layer", "generated": "沿道路生成 along the roads"}
# How much a siting plan raises a grid's covered share (the what-if on the map, in percentage points).
WHAT_IF_CHANGES = {"none": "不变 no change", "up": "提高不足5个百分点 up < 5 points",
                   "more": "提高5–20个百分点 up 5–20 points", "most": "提高20个百分点以上 up ≥ 20 points"}

# Where patrols start and end: a police station, a village police room, a team's own station.
BASE_KINDS = {"police_station": "派出所 police station", "police_room": "警务室 police room",
              "team_station": "驻地 team station"}

PATROL_MODES = {"foot": "步行 foot", "ebike": "电动车 e-bike", "motorcycle": "摩托车 motorcycle",
                "car": "汽车 car"}
# ISO weekdays, as a patrol route's `weekdays` stores them (1 Monday … 7 Sunday).
WEEKDAYS = {"1": "一 Mon", "2": "二 Tue", "3": "三 Wed", "4": "四 Thu", "5": "五 Fri", "6": "六 Sat", "7": "日 Sun"}
# What a proposed route's stop collects (gisapp/patrol/propose.py): an open dispute passed within sight,
# an alarm brought within reach (as a route's exported waypoints name them), gap road, a hot spot.
STOP_KINDS = {"dispute": "矛盾纠纷 dispute", "alarm": "一键报警 alarm", "gap": "覆盖缺口 gap",
              "hotspot": "热点 hot spot"}

DISPUTE_GRADES = {"ordinary": "一般 ordinary", "complex": "复杂 complex", "difficult": "疑难 difficult"}
GRADE_COLOURS = {"ordinary": "#1f6fd1", "complex": "#f28c28", "difficult": "#d62728"}
DISPUTE_STATUSES = {"received": "受理 received", "routed": "分流 routed", "handling": "办理 handling",
                    "feedback": "反馈 feedback", "closed": "结单 closed"}
# Escalation levels, lowest first: 小事不出村、大事不出镇.
DISPUTE_LEVELS = {"village": "村级 village", "township": "镇级 township", "county": "县级 county"}
# What a history entry records: intake, a status step, an escalation, a regrading, a return visit.
DISPUTE_ACTIONS = {"intake": "受理登记 intake", "status": "流转 status", "escalate": "升级 escalation",
                   "grade": "定级 grading", "revisit": "回访 return visit", "return": "退回重办 sent back",
                   "assign": "改派 reassigned", "note": "进展 note"}
DISPUTE_SOURCES = {"grid_worker": "网格员上报 grid worker", "reception": "接待大厅 reception hall",
                   "hotline": "12345热线 hotline", "police": "公安 police", "other": "其他 other"}
DISPUTE_CATEGORIES = {
    "neighbours": "邻里纠纷 neighbours",
    "family": "婚姻家庭 marriage and family",
    "land": "土地宅基地 land and housing sites",
    "labour": "劳资纠纷 labour and wages",
    "contract": "合同债务 contracts and debts",
    "enterprise": "企业经营 enterprise and trade",
    "traffic": "交通事故 traffic",
    "environment": "环境污染 environment",
    "petition": "信访 petition",
    "other": "其他 other",
}

ROAD_CLASSES = {"trunk": "国道 trunk", "primary": "省道 primary", "secondary": "县道 secondary",
                "tertiary": "乡道 tertiary", "residential": "村道 village road",
                "service": "巷道 lane", "track": "机耕路 track", "path": "小路 path"}

USER_ROLES = {"center": "综治中心 center", "team_leader": "巡防队长 patrol team leader",
              "planner": "规划 planner", "grid_worker": "网格员 grid worker", "viewer": "查看 viewer"}

# The periodic report (gisapp/report): its periods, sections, figures, column headers and texts.
REPORT_PERIODS = {"week": "周报 weekly", "month": "月报 monthly", "quarter": "季报 quarterly"}
REPORT_FORMATS = {"pdf": "PDF 文档 PDF document", "xlsx": "Excel 表格 Excel workbook"}
REPORT_SECTIONS = {"summary": "概况 summary", "disputes": "矛盾纠纷 disputes", "categories": "按类别 by category",
                   "grades": "按等级 by grade", "villages": "各村纠纷 disputes by village",
                   "nets": "三网状态 the three nets", "nets_villages": "各村三网 nets by village",
                   "flagged": "预警网格 flagged grids", "hotspots": "热点网格 hot spots", "map": "地图 map"}
# Dispute figures of a period (gisapp/disputes/figures.py defines them).
DISPUTE_FIGURES = {"received": "受理 received", "closed": "办结 closed", "resolution_rate": "化解率 resolution rate",
                   "open": "未结 open", "overdue": "超期 overdue"}
# The three nets' state (as the report counts it; the online rate is of the cameras in service, not planned).
NET_FIGURES = {"cameras_in_service": "在用摄像机 cameras in service", "cameras_online": "在线摄像机 cameras online",
               "camera_online_rate": "摄像机在线率 camera online rate",
               "camera_target": "雪亮工程目标 Sharp Eyes target", "camera_target_met": "在线率达标 rate at target",
               "cameras_offline": "离线摄像机 cameras offline", "cameras_faulty": "故障摄像机 cameras faulty",
               "cameras_planned": "规划摄像机 cameras planned",
               "alarms": "一键报警 alarms", "alarms_online": "在线报警点 alarms online",
               "alarm_online_rate": "报警点在线率 alarm online rate",
               "routes": "巡逻路线 patrol routes in use", "routes_day": "白天在巡路线 routes on patrol by day",
               "routes_night": "夜间在巡路线 routes on patrol by night",
               "route_km": "路线长度 (km) route length (km)"}
TARGET_MET = {True: "达标 met", False: "未达标 not met"}
# Gi* classes of a grid (gisapp/disputes/figures.py: hot or cold at 99, 95, 90 % confidence).
HOTSPOT_CLASSES = {"hot_99": "热点 99% hot spot 99%", "hot_95": "热点 95% hot spot 95%",
                   "hot_90": "热点 90% hot spot 90%", "cold_90": "冷点 90% cold spot 90%",
                   "cold_95": "冷点 95% cold spot 95%", "cold_99": "冷点 99% cold spot 99%",
                   "none": "不显著 not significant"}
REPORT_COLUMNS = {"item": "项目 item", "value": "数值 value", "current": "本期 this period",
                  "previous": "上期 previous period", "change": "变化 change", "category": "类别 category",
                  "grade": "等级 grade", "village_code": "村编码 village code", "village": "村/社区 village",
                  "grid_code": "网格编码 grid code", "grid": "网格 grid", "period": "时段 time of day",
                  "covered_share": "覆盖率 covered share", "camera_share": "天网 sky net",
                  "alarm_share": "地网 ground net", "patrol_share": "人网 people net",
                  "gap_m2": "盲区面积 (m²) gap area", "reasons": "原因 reasons", "computed_at": "计算时间 computed at",
                  "disputes": "纠纷数 disputes", "z": "Gi* z 值 z-score", "p": "p 值 p-value", "class": "分类 class",
                  "concern_m2": "关注区面积 (m²) area of concern", "flagged": "预警 flagged",
                  "cameras_reaching": "可及摄像机 cameras reaching", "cameras_online": "在线摄像机 cameras online",
                  "disputes_in": "覆盖内纠纷 disputes covered", "disputes_out": "覆盖外纠纷 disputes not covered",
                  "alarms_in": "人网可及报警点 alarms in patrol reach",
                  "alarms_out": "人网不可及报警点 alarms beyond patrol reach",
                  "road_m_in": "覆盖道路 (m) road covered", "road_m_out": "未覆盖道路 (m) road not covered"}
REPORT_TEXT = {
    "title": "矛盾纠纷风险与三网防控分析 risk analysis of disputes and the three nets",
    "area": "范围 area", "all_villages": "全部村/社区 all villages", "this_period": "本期 this period",
    "previous_period": "上期 previous period", "generated": "生成时间 generated", "day": "白天 day",
    "night": "夜间 night", "grids": "网格数 grids", "flagged_day": "白天预警网格 flagged by day",
    "flagged_night": "夜间预警网格 flagged by night",
    "nets_now": "三网状态为生成时的状态（不保存历史） the nets' state is as at generation (no history is kept)",
    "flags_now": "预警为当前状态：覆盖结果只保存最新一次计算，无法与上期比较；计算时间为网格最近一次因变化而重算的时间 "
                 "flags as now: coverage keeps only its latest computation, so no comparison with the previous "
                 "period; computed at is when a change to the grid last had it recomputed",
    "stale": "覆盖结果未更新的网格（请运行 gisapp coverage） grids whose coverage is out of date "
             "(run gisapp coverage)",
    "no_flagged": "无预警网格 no flagged grids",
    "no_hotspots": "本期无显著热点 no significant hot spots in the period",
    "backlog_open": "期末未结（含往期受理） open at the period's end, whenever received",
    "backlog_overdue": "其中超期 of which overdue",
    "too_few_disputes": "本期纠纷 {n} 起，少于 {least} 起，不做热点分析 {n} disputes in the period, fewer than {least}: "
                        "too few for a hot spot analysis",
    "no_disputes": "本期无纠纷 no disputes in the period",
    "hotspot_note": "Getis-Ord Gi*：本期受理纠纷按网格计数，相邻网格（queen） "
                    "Getis-Ord Gi* of the period's disputes per grid, queen contiguity",
    "map_note": "本期受理纠纷、盲区与热点网格（离线绘制，无底图） "
                "the period's disputes, coverage gaps and hot spot grids (drawn offline, no base map)",
    "day_gaps": "白天盲区 day gaps", "night_gaps": "夜间盲区 night gaps", "hot_grids": "热点网格 hot spot grids",
    "overdue_ring": "超期未结 overdue", "roads": "道路 roads", "village_bounds": "村界 village boundaries",
    "grid_bounds": "网格 grids", "page": "第 {n} 页 page {n}", "points": "个百分点 pp",
    "north": "北 N", "no_area": "范围内无村界 no village boundaries in the area",
    "page_title": "定期报告 periodic report", "form_period": "周期 period",
    "form_end": "截止日期（含当日） last day (included)",
    "form_villages": "村/社区（不选为全部） villages (none: all)",
    "form_format": "格式 format", "form_submit": "生成报告 make the report",
    "form_help": "本期为截止日期前的一周、一个月或一个季度，上期为其前同样长的时段 "
                 "the period is the week, month or quarter up to the last day; the previous period is as long, "
                 "just before it",
}

# The disputes page (gisapp/views/dispute_pages.py): the steps a person takes on a dispute, as its buttons name
# them (the next statuses, then escalation, grading and the return visit) …
DISPUTE_STEPS = {"routed": "分流 Route", "handling": "办理 Start handling", "feedback": "反馈 Report back",
                 "closed": "结单 Close", "escalate": "升级 Escalate", "grade": "调整等级 Regrade",
                 "revisit": "回访 Return visit", "return": "退回重办 Send back", "assign": "改派 Reassign",
                 "note": "记录进展 Add a note"}
# … what a dispute in each status waits for (a to-do list's "next" column; a closed one, its return visit) …
DISPUTE_WAITING = {"received": "待分流 to route", "routed": "待办理 to handle", "handling": "待反馈 to report back",
                   "feedback": "待结单 to close", "closed": "待回访 to visit back"}
# … and the return visit's satisfaction scores, 1 to 5.
SATISFACTION = {1: "很不满意 very dissatisfied", 2: "不满意 dissatisfied", 3: "一般 neutral", 4: "满意 satisfied",
                5: "很满意 very satisfied"}

# The map (gisapp/mapping.py, static/map.js): what a person reads for a yes/no value, how an alarm's response
# area was made, and the kinds of names the offline base labels (layers/labels.toml).
YES_NO = {"true": "是 yes", "false": "否 no"}
ALARM_AREA_BASES = {"premises": "场所范围 premises", "radius": "响应半径 response radius"}
MAP_LABEL_KINDS = {"township": "乡镇 township", "village": "村/社区 village", "grid": "网格 grid", "road": "道路 road"}
