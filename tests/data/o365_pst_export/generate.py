#!/usr/bin/env python3
"""Generate o365_pst_export.json: synthetic Office 365 Management Activity records
(sourcetype o365:management:activity) for the "O365 PST export alert" detection.

Deterministic (fixed seed, stdlib only). One JSON record per line, written with
Python's json.dumps defaults (", " / ": " separators, ASCII escapes), the way the
Splunk Add-on for Microsoft Office 365 writes them.

The records follow /work/shared/reference/event_schemas.md §1: the common schema,
Exchange mailbox records (RecordType 2/3/50), Exchange admin (1), SharePoint file
operations (6), Entra STS logons (15), eDiscovery (24) and Security & Compliance
alerts (40) with the AlertTriggered -> AlertEntityGenerated -> AlertUpdated lifecycle.

The alerts that matter to the detection are listed in ALERTS below; every special
case carries a `case` label that README.md explains. expected.py does NOT read this
file: it recomputes the result from the JSON lines alone.

Usage: python3 generate.py   (writes o365_pst_export.json next to this script)
"""

import calendar
import json
import os
import random
import time
import uuid

SEED = 20250303
rng = random.Random(SEED)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "o365_pst_export.json")

TENANT = "6f1c8a52-3b2e-4c1d-9a7e-2d4b5c6e7f80"
ORG_NAME = "contoso.onmicrosoft.com"
START = calendar.timegm((2025, 3, 3, 0, 0, 0))  # 2025-03-03T00:00:00Z
END = calendar.timegm((2025, 3, 6, 0, 0, 0))  # exclusive

EDISCOVERY = "eDiscovery search started or exported"
SC = "Office 365 Security & Compliance"
CAS = "Cloud App Security"
EDISCOVERY_POLICY = "e3f0a8a2-7c1b-4d3e-9f47-0b6a2c9d5e11"
EDISCOVERY_DESC = ("This alert is triggered when someone starts an eDiscovery search "
                   "or exports the results of an eDiscovery search. -V1.0.0.3")


def guid():
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def ts(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))


def parse(text):
    """'2025-03-03T09:14:07' (UTC) -> epoch seconds."""
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%S"))


def ts7(epoch):
    """Timestamp with 7-digit fraction and Z, as inside alert Data blobs."""
    return ts(epoch) + ".%07dZ" % rng.randrange(10 ** 7)


def puid():
    return "1003%012X" % rng.getrandbits(48)


def sid():
    return "S-1-5-21-%d-%d-%d-%d" % (rng.randrange(10 ** 9, 4 * 10 ** 9), rng.randrange(10 ** 9, 4 * 10 ** 9),
                                     rng.randrange(10 ** 9, 4 * 10 ** 9), rng.randrange(1000, 99999))


def ip():
    return rng.choice(["203.0.113.%d", "198.51.100.%d", "192.0.2.%d", "20.190.151.%d",
                       "40.126.28.%d", "52.96.164.%d"]) % rng.randrange(2, 254)


# ---------------------------------------------------------------- people
USER_NAMES = [
    "Dmitri.Kaur", "priya.shah", "marcus.oyelaran", "lena.fischer", "tomasz.nowak",
    "ana.ribeiro", "kenji.watanabe", "noah.bergstrom", "omar.haddad", "sofia.marin",
    "grace.okafor", "liam.cho", "ines.duarte", "ravi.menon", "yusuf.demir", "hana.sato",
    "felix.braun", "zara.ali", "jose.alvarez", "emma.larsen", "chen.wei", "fatima.zahra",
    "lucas.moreau", "mia.kowalski", "samuel.adeyemi", "olivia.bennett", "arjun.nair",
    "sara.lindqvist", "daniel.okoro", "nina.petrova", "svc-ediscovery",
]
DISPLAY = {"jose.alvarez": "Jos\u00e9 \u00c1lvarez", "svc-ediscovery": "eDiscovery Service"}
USERS = []
for n in USER_NAMES:
    upn = n + "@contoso.com"
    USERS.append({
        "upn": upn,
        "puid": puid(),
        "sid": sid(),
        "mbx": guid(),
        "oid": guid(),
        "display": DISPLAY.get(n, " ".join(p.capitalize() for p in n.split("."))),
        "ip": ip(),
    })
BY_UPN_CI = {u["upn"].lower(): u for u in USERS}
# people who only do ordinary work (the background)
WORKERS = [u for u in USERS if u["upn"] != "svc-ediscovery@contoso.com"]

records = []  # (delivery_key, record, raw_override_or_None)


def add(rec, delay=None, raw=None):
    """Queue a record. The file is ordered by delivery time (CreationTime plus an
    API delivery delay), which is close to, but not exactly, chronological."""
    t = rec.pop("_t")
    if delay is None:
        delay = rng.randrange(30, 1800)
    records.append((t + delay, len(records), rec, raw))


def common(t, op, rtype, workload, user_key, user_id, user_type, object_id=None,
           result="Succeeded", client_ip=None, creation=None):
    r = {"_t": t, "CreationTime": creation if creation is not None else ts(t), "Id": guid(),
         "Operation": op, "OrganizationId": TENANT, "RecordType": rtype}
    if result is not None:
        r["ResultStatus"] = result
    r["UserKey"] = user_key
    r["UserType"] = user_type
    r["Version"] = 1
    r["Workload"] = workload
    if client_ip is not None:
        r["ClientIP"] = client_ip
    if object_id is not None:
        r["ObjectId"] = object_id
    r["UserId"] = user_id
    return r


def biz_time():
    """A random time in the window, mostly during working hours."""
    day = rng.randrange(3)
    if rng.random() < 0.8:
        sec = rng.randrange(7 * 3600, 19 * 3600)
    else:
        sec = rng.randrange(86400)
    return START + day * 86400 + sec


# ---------------------------------------------------------------- Exchange mailbox
FOLDERS = ["\\Inbox", "\\Sent Items", "\\Drafts", "\\Archive", "\\Inbox\\Projects"]
SUBJECTS = ["Q1 budget review", "Re: onboarding checklist", "Vendor contract renewal",
            "Weekly status", "Fwd: travel itinerary", "Customer escalation 4471",
            "Board deck draft v3", "Lunch on Friday?", "Invoice 2025-0311", "Release notes 7.2"]
CLIENTS = ["Client=OWA;Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/133.0.0.0 Safari/537.36 Edg/133.0.0.0;",
           "Client=MSExchangeRPC", "Client=REST;Client=RESTSystem;;",
           "Client=ActiveSync;Apple-iPhone16C2/2203.63;"]


def mailbox_part(u, client):
    return {
        "AppId": "00000002-0000-0ff1-ce00-000000000000",
        "ClientAppId": "",
        "ClientIPAddress": u["ip"],
        "ClientInfoString": client,
        "ExternalAccess": False,
        "InternalLogonType": 0,
        "LogonType": 0,
        "LogonUserSid": u["sid"],
        "MailboxGuid": u["mbx"],
        "MailboxOwnerSid": u["sid"],
        "MailboxOwnerUPN": u["upn"],
        "OrganizationName": ORG_NAME,
        "OriginatingServer": "PH0PR08MB%04d (15.20.8466.017)\r\n" % rng.randrange(10000),
        "SessionId": guid(),
    }


def msg_id():
    return "<PH0PR08MB%04d%016X@PH0PR08MB%04d.namprd06.prod.outlook.com>" % (
        rng.randrange(10000), rng.getrandbits(64), rng.randrange(10000))


def exchange_record():
    u = rng.choice(WORKERS)
    t = biz_time()
    client = rng.choice(CLIENTS)
    kind = rng.random()
    if kind < 0.35:
        r = common(t, "MailItemsAccessed", 50, "Exchange", u["puid"], u["upn"], 0, client_ip=u["ip"])
        r.update(mailbox_part(u, client))
        r["LogonUserDisplayName"] = u["display"]
        r["OperationProperties"] = [{"Name": "MailAccessType", "Value": rng.choice(["Bind", "Sync"])},
                                    {"Name": "IsThrottled", "Value": "False"}]
        r["Folders"] = [{"Id": "LgAAAAB%032X" % rng.getrandbits(128), "Path": rng.choice(FOLDERS),
                         "FolderItems": [{"InternetMessageId": msg_id(), "SizeInBytes": rng.randrange(4000, 90000)}
                                         for _ in range(rng.randrange(1, 4))]}]
        r["OperationCount"] = sum(len(f["FolderItems"]) for f in r["Folders"])
    elif kind < 0.7:
        op = rng.choice(["Send", "Send", "Update", "Create", "SendAs"])
        r = common(t, op, 2, "Exchange", u["puid"], u["upn"], 0, client_ip=u["ip"])
        r.update(mailbox_part(u, client))
        r["LogonUserDisplayName"] = u["display"]
        att = rng.choice(["", "report.pdf (%db)" % rng.randrange(20000, 900000),
                          "budget (final).xlsx (%db); logo.png (%db)" % (rng.randrange(9000, 90000),
                                                                      rng.randrange(1000, 9000))])
        item = {"Id": "RgAAAAB%040X" % rng.getrandbits(160), "InternetMessageId": msg_id(),
                "ParentFolder": {"Id": "LgAAAAB%032X" % rng.getrandbits(128),
                                 "Path": "\\Sent Items" if op.startswith("Send") else rng.choice(FOLDERS)},
                "SizeInBytes": rng.randrange(4000, 900000), "Subject": rng.choice(SUBJECTS)}
        if att:
            item["Attachments"] = att
        r["Item"] = item
        if op == "SendAs":
            r["SendAsUserSmtp"] = "shared-finance@contoso.com"
            r["SendAsUserMailboxGuid"] = guid()
        if op == "Update":
            r["ModifiedProperties"] = ["IsRead", "Categories"]
    else:
        op = rng.choice(["MoveToDeletedItems", "SoftDelete", "HardDelete"])
        r = common(t, op, 3, "Exchange", u["puid"], u["upn"], 0, client_ip=u["ip"])
        r.update(mailbox_part(u, client))
        r["LogonUserDisplayName"] = u["display"]
        r["CrossMailboxOperation"] = False
        src = rng.choice(["\\Inbox", "\\Deleted Items", "\\Sent Items"])
        r["DestFolder"] = {"Id": "LgAAAAB%032X" % rng.getrandbits(128),
                           "Path": "\\Deleted Items" if op == "MoveToDeletedItems" else "\\Recoverable Items\\Deletions"}
        r["Folder"] = {"Id": "LgAAAAB%032X" % rng.getrandbits(128), "Path": src}
        r["AffectedItems"] = [{"Id": "RgAAAAB%040X" % rng.getrandbits(160), "InternetMessageId": msg_id(),
                               "ParentFolder": {"Id": "LgAAAAB%032X" % rng.getrandbits(128), "Path": src},
                               "Subject": rng.choice(SUBJECTS)} for _ in range(rng.randrange(1, 3))]
    add(r)


def exchange_admin_record():
    u = rng.choice(WORKERS[:6])
    t = biz_time()
    op = rng.choice(["Set-Mailbox", "Add-MailboxPermission", "Set-InboxRule", "New-InboxRule"])
    target = rng.choice(WORKERS)["upn"]
    r = common(t, op, 1, "Exchange", u["puid"], u["upn"], 2, object_id=target, result="True",
               client_ip="%s:%d" % (u["ip"], rng.randrange(1024, 65535)))
    r["AppId"] = "fb78d390-0c51-40cd-8e17-fdbfab77341b"
    r["ExternalAccess"] = False
    r["OrganizationName"] = ORG_NAME
    r["OriginatingServer"] = "BN8PR06MB%04d (15.20.8466.017)" % rng.randrange(10000)
    r["Parameters"] = [{"Name": "Identity", "Value": target},
                       {"Name": "ErrorAction", "Value": "Stop"}]
    if op == "Set-Mailbox":
        r["Parameters"].append({"Name": "AuditEnabled", "Value": "True"})
    add(r)


# ---------------------------------------------------------------- SharePoint / OneDrive
SITES = [("https://contoso.sharepoint.com/sites/Finance", "Shared Documents/Reports"),
         ("https://contoso.sharepoint.com/sites/Legal", "Shared Documents/Contracts"),
         ("https://contoso.sharepoint.com/sites/Engineering", "Shared Documents/Specs")]
FILES = ["FY25 forecast.xlsx", "NDA - Fabrikam.docx", "Architecture overview.pptx",
         "Incident 2291 timeline.docx", "headcount.csv", "design (draft).vsdx"]


def sharepoint_record():
    u = rng.choice(WORKERS)
    t = biz_time()
    op = rng.choice(["FileAccessed", "FileAccessed", "FileModified", "FileDownloaded", "FileUploaded",
                     "FilePreviewed"])
    onedrive = rng.random() < 0.3
    if onedrive:
        site = "https://contoso-my.sharepoint.com/personal/%s_contoso_com" % u["upn"].split("@")[0].replace(".", "_")
        rel = "Documents"
    else:
        site, rel = rng.choice(SITES)
    fname = rng.choice(FILES)
    r = common(t, op, 6, "OneDrive" if onedrive else "SharePoint", "i:0h.f|membership|%s@live.com" % u["puid"].lower(),
               u["upn"], 0, object_id="%s/%s/%s" % (site, rel, fname), result=None, client_ip=u["ip"])
    r["CorrelationId"] = guid()
    r["EventSource"] = "SharePoint"
    r["ItemType"] = "File"
    r["ListId"] = guid()
    r["ListItemUniqueId"] = guid()
    r["Site"] = guid()
    r["UserAgent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36"
    r["WebId"] = guid()
    r["SourceFileExtension"] = fname.rsplit(".", 1)[1]
    r["SiteUrl"] = site + "/"
    r["SourceFileName"] = fname
    r["SourceRelativeUrl"] = rel
    add(r)


# ---------------------------------------------------------------- Entra ID logons
def logon_record():
    u = rng.choice(WORKERS)
    t = biz_time()
    failed = rng.random() < 0.12
    op = "UserLoginFailed" if failed else "UserLoggedIn"
    r = common(t, op, 15, "AzureActiveDirectory", u["oid"], u["upn"], 0, object_id="00000003-0000-0000-c000-000000000000",
               result="Failed" if failed else "Success", client_ip=u["ip"])
    r["AzureActiveDirectoryEventType"] = 1
    r["ExtendedProperties"] = [{"Name": "ResultStatusDetail", "Value": "Success" if not failed else "UserError"},
                               {"Name": "UserAgent", "Value": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"},
                               {"Name": "RequestType", "Value": "OAuth2:Token"}]
    r["ModifiedProperties"] = []
    r["Actor"] = [{"ID": u["oid"], "Type": 0}, {"ID": u["upn"], "Type": 5}]
    r["ActorContextId"] = TENANT
    r["ActorIpAddress"] = u["ip"]
    r["InterSystemsId"] = guid()
    r["IntraSystemId"] = guid()
    r["SupportTicketId"] = ""
    r["Target"] = [{"ID": "00000003-0000-0000-c000-000000000000", "Type": 0}]
    r["TargetContextId"] = TENANT
    r["ApplicationId"] = rng.choice(["00000002-0000-0ff1-ce00-000000000000", "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
                                     "d3590ed6-52b3-4102-aeff-aad2292ab01c"])
    r["DeviceProperties"] = [{"Name": "OS", "Value": rng.choice(["Windows10", "MacOs", "Ios"])},
                             {"Name": "BrowserType", "Value": rng.choice(["Edge", "Chrome", "Safari"])}]
    r["ErrorNumber"] = "50126" if failed else "0"
    if failed:
        r["LogonError"] = "InvalidUserNameOrPassword"
    add(r)


# ---------------------------------------------------------------- eDiscovery (RecordType 24)
def ediscovery_activity(user, t, search_name, ops):
    """SearchCreated/SearchStarted/SearchExported... records that precede an alert.
    They carry no Name and no Category, so the detection never sees them."""
    u = BY_UPN_CI[user.lower()]
    case = "Case-%04d" % rng.randrange(1000, 9999)
    req = guid()
    for i, op in enumerate(ops):
        r = common(t + i * rng.randrange(20, 90), op, 24, "SecurityComplianceCenter", u["puid"], user, 2,
                   object_id=search_name, result=None, client_ip=u["ip"])
        r["Case"] = case
        r["CaseId"] = guid()
        r["Cmdlet"] = {"SearchCreated": "New-ComplianceSearch", "SearchStarted": "Start-ComplianceSearch",
                       "SearchExported": "New-ComplianceSearchAction",
                       "SearchPreviewed": "New-ComplianceSearchAction"}.get(op, "")
        r["CmdletVersion"] = "1.0.0"
        r["ClientRequestId"] = req
        r["ExchangeLocations"] = ["All"] if "all" in search_name.lower() else [rng.choice(WORKERS)["upn"]]
        r["SharepointLocations"] = []
        r["Query"] = rng.choice(["(c:c)(subject:\"contract\")", "received>=2025-01-01 AND kind:email",
                                 "(c:c)(from:finance@contoso.com)", ""])
        r["StartTime"] = ts(t)
        r["UserServicePlan"] = "FirstParty"
        add(r)


# ---------------------------------------------------------------- S&C alerts (RecordType 40)
def alert_base(t, op, a, object_id, creation=None):
    r = common(t, op, 40, "SecurityComplianceCenter", "SecurityComplianceAlerts", "SecurityComplianceAlerts", 4,
               object_id=object_id, creation=creation)
    r["AlertId"] = a["alert_id"]
    r["AlertLinks"] = [{"AlertLinkHref": ""}]
    r["AlertType"] = a.get("type", "System")
    if "category" in a:
        r["Category"] = a["category"]
    return r


def alert_tail(r, a, name=True, source=True, status="Active"):
    if name and "name" in a:
        r["Name"] = a["name"]
    r["PolicyId"] = a["policy"]
    r["Severity"] = a["severity"]
    if source:
        r["Source"] = a["source"]
    r["Status"] = status
    return r


def emit_alert(a):
    """One alert: AlertTriggered, then one AlertEntityGenerated per entry of a['entities']
    (seconds after trigger, optional CreationTime text), then AlertUpdated."""
    t0 = parse(a["time"])
    user = a["user"]
    op = a.get("op", "SearchExported")
    data_name = a.get("data_name", a.get("name", ""))
    trig = alert_base(t0, "AlertTriggered", a, a["alert_id"])
    trig["Comments"] = "New alert"
    trig["Data"] = json.dumps({
        "f3u": user, "ts": ts7(t0 - 300), "te": ts7(t0), "op": op, "wl": a.get("wl", "SecurityComplianceCenter"),
        "tid": TENANT, "tdc": "1", "reid": guid(), "rid": guid(), "cid": a["policy"],
        "ad": a.get("desc", ""), "lon": op, "an": data_name, "sev": a["severity"]}, separators=(",", ":"))
    alert_tail(trig, a)
    add(trig, delay=a.get("delay"))

    for ent in a.get("entities", [{"after": 1}]):
        te = t0 + ent["after"]
        eid = ent.get("eid", user)
        r = alert_base(te, "AlertEntityGenerated", a, eid if eid is not None else user,
                       creation=ent.get("creation"))
        r["Comments"] = ent.get("comments", "New alert")
        r["Data"] = json.dumps({
            "etype": "User", "eid": user, "tid": TENANT, "ts": ts7(te - 300), "te": ts7(te), "op": op,
            "tdc": "1", "suid": user, "ut": "Admin" if a.get("admin", True) else "Regular", "ssic": "0",
            "lon": op, **ent.get("extra_data", {})}, separators=(",", ":"))
        r["EntityType"] = "User"
        r["AlertEntityId"] = eid
        alert_tail(r, a, name=not ent.get("no_name"), source=not ent.get("no_source"))
        for k, v in ent.get("set", {}).items():
            r[k] = v
        if "name" in ent:
            r["Name"] = ent["name"]
        add(r, delay=ent.get("delay", a.get("delay")), raw=ent.get("raw"))

    if a.get("updated", True):
        tu = t0 + a.get("update_after", rng.randrange(600, 6 * 3600))
        up = alert_base(tu, "AlertUpdated", a, a["alert_id"])
        up["Comments"] = a.get("update_comment", rng.choice(
            ["Assigned to SOC tier 1", "Reviewed with legal: approved export", "Status changed by analyst"]))
        up["Data"] = json.dumps({"as": rng.choice(["Investigating", "Resolved"]), "tid": TENANT,
                                 "aid": a["alert_id"], "uby": "soc.analyst@contoso.com"}, separators=(",", ":"))
        alert_tail(up, a, status="Investigating")
        add(up, delay=a.get("delay"))


def ediscovery_alert(**kw):
    a = {"name": EDISCOVERY, "category": "ThreatManagement", "policy": EDISCOVERY_POLICY,
         "desc": EDISCOVERY_DESC, "alert_id": guid(), "source": SC}
    a.update(kw)
    return a


def esc_name_u0065():
    # 'eDiscovery search started or exported' with its e's / a written as \u escapes
    return '"Name": "\\u0065Discovery search st\\u0061rted or \\u0065xported"'


ALERTS = [
    # ---- true positives ------------------------------------------------------------
    # Dmitri: four Medium events (three alerts, one of them aggregated twice) -> one row, count 4.
    # The first alert's records reach the file 30 h late (Audit.General backlog re-delivered
    # the next day), after later events of the same group: earliest/latest must use _time,
    # not file order.
    ediscovery_alert(case="tp-multi-late-delivery", user="Dmitri.Kaur@contoso.com", severity="Medium",
                     time="2025-03-03T09:14:07", delay=30 * 3600),
    ediscovery_alert(case="tp-multi-aggregated", user="Dmitri.Kaur@contoso.com", severity="Medium",
                     time="2025-03-04T13:52:31", entities=[{"after": 1}, {"after": 1654}]),
    ediscovery_alert(case="tp-multi", user="Dmitri.Kaur@contoso.com", severity="Medium",
                     time="2025-03-05T08:03:44"),
    ediscovery_alert(case="tp-other-severity", user="Dmitri.Kaur@contoso.com", severity="High",
                     time="2025-03-05T16:41:19"),
    # priya: two Informational alerts, plus one whose AlertEntityId is "Priya.Shah@..." (own row)
    ediscovery_alert(case="tp-multi", user="priya.shah@contoso.com", severity="Informational",
                     time="2025-03-03T11:02:50"),
    ediscovery_alert(case="tp-multi", user="priya.shah@contoso.com", severity="Informational",
                     time="2025-03-05T10:15:12"),
    ediscovery_alert(case="entity-id-case", user="Priya.Shah@contoso.com", severity="Informational",
                     time="2025-03-04T10:30:00"),
    # marcus: Cloud App Security, Low, 23:47 and 00:21 -> the group spans midnight
    ediscovery_alert(case="midnight", user="marcus.oyelaran@contoso.com", severity="Low", source=CAS,
                     time="2025-03-03T23:47:36"),
    ediscovery_alert(case="midnight", user="marcus.oyelaran@contoso.com", severity="Low", source=CAS,
                     time="2025-03-04T00:21:09"),
    # lena: two canonical alerts + one whose Name is in Title Case (matches; own row)
    ediscovery_alert(case="tp-multi", user="lena.fischer@contoso.com", severity="Low",
                     time="2025-03-03T14:25:00"),
    ediscovery_alert(case="name-case", user="lena.fischer@contoso.com", severity="Low",
                     time="2025-03-04T15:10:33", name="eDiscovery Search Started or Exported"),
    ediscovery_alert(case="tp-multi", user="lena.fischer@contoso.com", severity="Low",
                     time="2025-03-05T12:44:21"),
    # noah: only an upper-case Name -> matches, the row carries the upper-case value
    ediscovery_alert(case="name-case-only", user="noah.bergstrom@contoso.com", severity="Medium", source=CAS,
                     time="2025-03-05T02:17:45", name="EDISCOVERY SEARCH STARTED OR EXPORTED"),
    # tomasz: one canonical alert, one with Category "threatmanagement" -> both count, one row
    ediscovery_alert(case="tp", user="tomasz.nowak@contoso.com", severity="Medium",
                     time="2025-03-04T07:58:40"),
    ediscovery_alert(case="category-lowercase", user="tomasz.nowak@contoso.com", severity="Medium",
                     time="2025-03-05T19:30:02", category="threatmanagement"),
    # ana: one canonical alert, one whose AlertEntityGenerated writes Name with \u escapes
    ediscovery_alert(case="tp", user="ana.ribeiro@contoso.com", severity="High",
                     time="2025-03-03T17:05:55"),
    ediscovery_alert(case="unicode-escape-name", user="ana.ribeiro@contoso.com", severity="High",
                     time="2025-03-04T21:36:48",
                     entities=[{"after": 2, "raw": ('"Name": "' + EDISCOVERY + '"', esc_name_u0065())}]),
    # kenji: CAS Informational; fractional CreationTime (earliest), Z-suffixed CreationTime
    # (latest), and one with Category and Name spaces written as \u escapes, delivered 4 h
    # late so that it sits after the latest event of the group in the file.
    ediscovery_alert(case="fractional-time", user="kenji.watanabe@contoso.com", severity="Informational",
                     source=CAS, time="2025-03-04T23:59:58",
                     entities=[{"after": 1, "creation": "2025-03-04T23:59:59.873"}]),
    ediscovery_alert(case="unicode-escape-category", user="kenji.watanabe@contoso.com", severity="Informational",
                     source=CAS, time="2025-03-05T03:05:12",
                     entities=[{"after": 1, "delay": 4 * 3600, "raw": [
                         ('"Category": "ThreatManagement"', '"Category": "Thre\\u0061tManagement"'),
                         ('"Name": "' + EDISCOVERY + '"',
                          '"Name": "eDiscovery\\u0020search\\u0020started\\u0020or\\u0020exported"')]}]),
    ediscovery_alert(case="z-suffix-time", user="kenji.watanabe@contoso.com", severity="Informational",
                     source=CAS, time="2025-03-05T06:12:29",
                     entities=[{"after": 1, "creation": "2025-03-05T06:12:30Z"}]),
    # deliberate JSON null in a BY field: AlertEntityId null -> the string "null" (own row)
    ediscovery_alert(case="null-entity-id", user="svc-ediscovery@contoso.com", severity="Informational",
                     time="2025-03-04T04:40:10", entities=[{"after": 1, "eid": None}]),

    # ---- near misses: no row ---------------------------------------------------------
    ediscovery_alert(case="name-superstring", user="omar.haddad@contoso.com", severity="Medium", type="Custom",
                     name="eDiscovery search started or exported by admin", policy=guid(),
                     time="2025-03-04T11:20:15"),
    ediscovery_alert(case="name-substring", user="sofia.marin@contoso.com", severity="Low", type="Custom",
                     name="eDiscovery search started", policy=guid(), op="SearchStarted",
                     time="2025-03-03T16:48:03"),
    ediscovery_alert(case="category-datagovernance", user="grace.okafor@contoso.com", severity="Medium",
                     category="DataGovernance", time="2025-03-04T09:05:27"),
    ediscovery_alert(case="name-in-data-and-comments-only", user="liam.cho@contoso.com", severity="Medium",
                     time="2025-03-05T13:33:33",
                     entities=[{"after": 1, "no_name": True, "comments": EDISCOVERY,
                                "extra_data": {"an": EDISCOVERY}}]),
    {"case": "name-in-comments-other-alert", "user": "ines.duarte@contoso.com", "severity": "Medium",
     "name": "Unusual external user file activity", "category": "ThreatManagement", "policy": guid(),
     "alert_id": guid(), "source": SC, "op": "FileAccessed", "wl": "SharePoint", "admin": False,
     "time": "2025-03-04T16:02:58",
     "entities": [{"after": 1, "comments": "Analyst: correlate with " + EDISCOVERY + " for this user"}]},
    ediscovery_alert(case="no-entity-generated", user="ravi.menon@contoso.com", severity="Medium",
                     time="2025-03-03T20:11:42", entities=[]),
    ediscovery_alert(case="source-missing", user="yusuf.demir@contoso.com", severity="High",
                     time="2025-03-05T05:27:16", entities=[{"after": 1, "no_source": True}]),
    ediscovery_alert(case="name-array", user="hana.sato@contoso.com", severity="Low",
                     time="2025-03-04T18:44:09", entities=[{"after": 1, "name": [EDISCOVERY]}]),
    ediscovery_alert(case="name-extra-space", user="felix.braun@contoso.com", severity="Low",
                     name="eDiscovery search started  or exported", time="2025-03-05T09:58:50"),
    ediscovery_alert(case="name-nested-object", user="zara.ali@contoso.com", severity="Medium",
                     time="2025-03-03T13:37:21",
                     entities=[{"after": 1, "no_name": True, "set": {"Policy": {"Name": EDISCOVERY}}}]),
]

# ---------------------------------------------------------------- background alerts
OTHER_POLICIES = [
    # (name, category, severity, source, op, workload)
    ("Email messages containing malicious URLs removed after delivery", "ThreatManagement", "Informational", SC,
     "ZapPhishMessage", "Exchange"),
    ("Suspicious email sending patterns detected", "ThreatManagement", "Medium", SC, "Send", "Exchange"),
    ("User restricted from sending email", "ThreatManagement", "High", SC, "Send", "Exchange"),
    ("A potentially malicious URL click was detected", "ThreatManagement", "High", SC, "ClickUrl", "Exchange"),
    ("Email reported by user as malware or phish", "ThreatManagement", "Informational", SC, "UserSubmission",
     "Exchange"),
    ("Creation of forwarding/redirect rule", "ThreatManagement", "Informational", SC, "New-InboxRule", "Exchange"),
    ("Elevation of Exchange admin privilege", "AccessGovernance", "Low", SC, "GrantAdminPermission", "Exchange"),
    ("Messages have been delayed", "MailFlow", "High", SC, "MailDelayed", "Exchange"),
    ("DLP policy match: U.S. Financial Data", "DataLossPrevention", "Medium", SC, "DlpRuleMatch", "Exchange"),
    ("Mass download by a single user", "ThreatManagement", "Medium", CAS, "FileDownloaded", "SharePoint"),
    ("Unusual volume of file deletion", "ThreatManagement", "Medium", SC, "FileDeleted", "SharePoint"),
    ("Retention label changed", "DataGovernance", "Low", SC, "TagApplied", "SharePoint"),
]
POLICY_IDS = {p[0]: guid() for p in OTHER_POLICIES}


def background_alert():
    name, cat, sev, src, op, wl = rng.choice(OTHER_POLICIES)
    user = rng.choice(WORKERS)["upn"]
    a = {"name": name, "category": cat, "severity": sev, "source": src, "op": op, "wl": wl,
         "policy": POLICY_IDS[name],
         "alert_id": guid(), "user": user, "admin": False,
         "time": ts(biz_time()),
         "entities": [{"after": rng.randrange(0, 3)}] + ([{"after": rng.randrange(30, 900)}]
                                                         if rng.random() < 0.2 else [])}
    emit_alert(a)


# ---------------------------------------------------------------- build
def build():
    for a in ALERTS:
        # the eDiscovery activity behind the alert, a few minutes earlier
        t = parse(a["time"])
        if a.get("op", "SearchExported") in ("SearchExported", "SearchStarted"):
            ops = ["SearchCreated", "SearchStarted"] + (["SearchExported"] if a.get("op", "SearchExported") ==
                                                        "SearchExported" else [])
            ediscovery_activity(a["user"], t - rng.randrange(240, 900),
                                rng.choice(["PST export - Finance", "Litigation hold review",
                                            "HR investigation 2025-03", "All mailboxes - keyword sweep"]), ops)
        emit_alert(a)
    # ordinary eDiscovery work that raised no alert (previews, searches never exported)
    for _ in range(14):
        u = rng.choice(USERS[:8])["upn"]
        ediscovery_activity(u, biz_time(), rng.choice(["Custodian review", "Mailbox sweep", "Legal hold check"]),
                            ["SearchCreated", "SearchPreviewed"])
    for _ in range(40):
        background_alert()
    for _ in range(560):
        exchange_record()
    for _ in range(20):
        exchange_admin_record()
    for _ in range(380):
        sharepoint_record()
    for _ in range(260):
        logon_record()


def render(rec, raw):
    line = json.dumps(rec)
    if raw:
        pairs = raw if isinstance(raw, list) else [raw]
        for old, new in pairs:
            assert line.count(old) == 1, (old, line)
            line = line.replace(old, new)
        assert json.loads(line) == rec  # the escapes decode back to the same record
    return line


def main():
    build()
    records.sort(key=lambda x: (x[0], x[1]))
    with open(OUT, "w", encoding="ascii", newline="\n") as f:
        for _, _, rec, raw in records:
            f.write(render(rec, raw) + "\n")
    print("wrote %d records to %s" % (len(records), OUT))


if __name__ == "__main__":
    main()
