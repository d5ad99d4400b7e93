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
                   "grade": "定级 grading", "revisit": "回访 return visit"}
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
