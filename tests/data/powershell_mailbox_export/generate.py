#!/usr/bin/env python3
"""Generate powershell_4104.json: synthetic ECS documents of PowerShell script block logging
(event 4104, Windows integration data stream windows.powershell_operational) for the rule
"Exchange Mailbox Export via PowerShell" (rules/exchange_mailbox_export_via_powershell.yml).

Deterministic (fixed seed, Python 3 stdlib only). One JSON document per line, compact
(`,` / `:` separators), UTF-8; the documents follow /work/shared/reference/event_schemas.md §3.

The documents that matter to the rule are built in cases() below, each with the verdict worked
out by hand from Elasticsearch's semantics (README.md explains every one). Those verdicts, not
tripline, give expected_matches.txt: one `script_block_id sequence` line per document the rule
must match. Background documents never contain the token `new-mailboxexportrequest` (asserted),
so none of them can match.

Usage:
  python3 generate.py            writes powershell_4104.json and expected_matches.txt next to
                                 this script
  python3 generate.py --cases    also prints, per labelled document: file line, verdict,
                                 script_block_id, sequence, case label
"""

import calendar
import json
import os
import random
import re
import sys
import time
import uuid

SEED = 20250310
rng = random.Random(SEED)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "powershell_4104.json")
EXPECTED = os.path.join(HERE, "expected_matches.txt")

START = calendar.timegm((2025, 3, 10, 0, 0, 0))  # 2025-03-10T00:00:00Z
DAYS = 3  # 2025-03-10 .. 2025-03-12
N_DOCS = 400  # total documents in the file
CHUNK = 20000  # characters per script block fragment (all fragments but the last)

AGENT_VERSION = "8.17.3"
PROVIDER_GUID = "{a0c1853b-5c40-4b15-8766-3cf1c58f985a}"
DOMAIN_SID = "S-1-5-21-3623811015-3361044348-30300820"


def guid():
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def iso_ms(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t))) + ".%03dZ" % int(round((t % 1) * 1000) % 1000)


def iso_s(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t)))


# ---------------------------------------------------------------- hosts and users
def win_os(name, build, version="10.0"):
    return {"build": build, "family": "windows",
            "kernel": "10.0.%s (WinBuild.160101.0800)" % build, "name": name,
            "platform": "windows", "type": "windows", "version": version}


def mac():
    return "-".join("%02X" % b for b in [0x00, 0x15, 0x5D] + [rng.randrange(256) for _ in range(3)])


def make_host(name, fqdn, os_, ip):
    return {"name": name, "fqdn": fqdn, "os": os_, "id": guid(), "ip": ip, "mac": mac(),
            "agent_id": guid(), "ephemeral_id": guid(), "record": 40000 + rng.randrange(50000)}


S2019 = ("Windows Server 2019 Datacenter", "17763.6893")
S2022 = ("Windows Server 2022 Standard", "20348.3207")
W11 = ("Windows 11 Enterprise", "22631.4890")

HOSTS = {
    "exch01": make_host("exch01", "EXCH01.corp.contoso.com", win_os(*S2019), "10.20.1.11"),
    "exch02": make_host("exch02", "EXCH02.corp.contoso.com", win_os(*S2019), "10.20.1.12"),
    "dc01": make_host("dc01", "DC01.corp.contoso.com", win_os(*S2022), "10.20.0.10"),
    "fs01": make_host("fs01", "FS01.corp.contoso.com", win_os(*S2022), "10.20.2.21"),
    "adm-ws07": make_host("adm-ws07", "ADM-WS07.corp.contoso.com", win_os(*W11), "10.30.5.107"),
    "wks-0113": make_host("wks-0113", "WKS-0113.corp.contoso.com", win_os(*W11), "10.40.1.113"),
    "wks-0142": make_host("wks-0142", "WKS-0142.corp.contoso.com", win_os(*W11), "10.40.1.142"),
    "wks-0178": make_host("wks-0178", "WKS-0178.corp.contoso.com", win_os(*W11), "10.40.1.178"),
    # Linux jump host with PowerShell 7 (see README: synthetic, exists to exercise host.os.type)
    "lnx-jump01": make_host("lnx-jump01", "lnx-jump01.corp.contoso.com",
                            {"family": "debian", "kernel": "5.15.0-131-generic", "name": "Ubuntu",
                             "platform": "ubuntu", "type": "linux",
                             "version": "22.04.5 LTS (Jammy Jellyfish)"}, "10.30.9.5"),
}
EXCHANGE = ["exch01", "exch02"]
ADMIN_BOXES = ["exch01", "exch02", "adm-ws07"]
SERVERS = ["dc01", "fs01"]
WORKSTATIONS = ["wks-0113", "wks-0142", "wks-0178"]


def make_user(name, rid, domain="CORP", utype="User"):
    sid = "%s-%d" % (DOMAIN_SID, rid) if isinstance(rid, int) else rid
    return {"name": name, "domain": domain, "sid": sid, "type": utype}


USERS = {
    "exadmin": make_user("exadmin", 1104),
    "a.kowalczyk": make_user("a.kowalczyk", 1152),
    "j.morrison": make_user("j.morrison", 1187),
    "svc-exbackup": make_user("svc-exbackup", 1311),
    "m.reyes": make_user("m.reyes", 1423),
    "p.nair": make_user("p.nair", 1466),
    "l.brandt": make_user("l.brandt", 1502),
    "SYSTEM": make_user("SYSTEM", "S-1-5-18", "NT AUTHORITY", "Well Known Group"),
}
ADMINS = ["exadmin", "a.kowalczyk", "svc-exbackup"]
STAFF = ["j.morrison", "p.nair", "l.brandt"]

MAILBOXES = ["j.doe", "r.patel", "c.walsh", "m.chen", "s.okafor", "hr.director", "cfo", "ceo",
             "legal.hold01", "it.audit", "t.nguyen", "b.schulz", "finance.ap", "k.ito", "a.garcia"]

# query tokens of the rule; the filler and the background must never carry the first one
CMDLET_TOKEN = "new-mailboxexportrequest"
RULE_TOKENS = {"new-mailboxexportrequest", "-filepath", "pst", "-mailbox", "get-mailbox",
               "exporttopstfile", "-identity"}


def tokens(text):
    """Generator-side sanity check only: background text must not hold the rule's tokens."""
    return {t.lower() for t in re.split(r"[^A-Za-z0-9_-]+", text) if t}


# ---------------------------------------------------------------- document builder
docs = []  # dicts with private keys _t, _host, _case, _verdict, _shape


def document(host, user, t, text, sbid, seq=1, total=1, pid=None, tid=None, script=None,
             category="process", os_type=None, case=None, verdict=None, shape=None, level="verbose"):
    h = HOSTS[host]
    u = USERS[user]
    created = t + rng.uniform(0.4, 25.0)
    ingested = created + rng.uniform(0.2, 6.0)
    host_os = dict(h["os"])
    if os_type is not None:
        host_os["type"] = os_type
    d = {
        "@timestamp": iso_ms(t),
        "agent": {"ephemeral_id": h["ephemeral_id"], "id": h["agent_id"], "name": h["name"],
                  "type": "filebeat", "version": AGENT_VERSION},
        "data_stream": {"dataset": "windows.powershell_operational", "namespace": "default",
                        "type": "logs"},
        "ecs": {"version": "8.0.0"},
        "elastic_agent": {"id": h["agent_id"], "snapshot": False, "version": AGENT_VERSION},
        "event": {"agent_id_status": "verified", "category": category, "code": "4104",
                  "created": iso_ms(created), "dataset": "windows.powershell_operational",
                  "ingested": iso_s(ingested), "kind": "event",
                  "provider": "Microsoft-Windows-PowerShell", "type": "info"},
    }
    if script:
        directory, _, name = script.rpartition("\\")
        d["file"] = {"directory": directory, "extension": name.rpartition(".")[2], "name": name,
                     "path": script}
    d["host"] = {"architecture": "x86_64", "hostname": h["name"], "id": h["id"], "ip": [h["ip"]],
                 "mac": [h["mac"]], "name": h["name"], "os": host_os}
    d["input"] = {"type": "winlog"}
    d["log"] = {"level": level}
    d["powershell"] = {"file": {"script_block_id": sbid, "script_block_length": len(text),
                                "script_block_text": text},
                       "sequence": seq, "total": total}
    d["user"] = {"id": u["sid"]}
    d["winlog"] = {
        "activity_id": "{%s}" % guid(),
        "api": "wineventlog",
        "channel": "Microsoft-Windows-PowerShell/Operational",
        "computer_name": h["fqdn"],
        "event_id": "4104",
        "opcode": "On create calls",
        "process": {"pid": pid if pid is not None else rng.randrange(1200, 30000, 4),
                    "thread": {"id": tid if tid is not None else rng.randrange(1200, 30000, 4)}},
        "provider_guid": PROVIDER_GUID,
        "provider_name": "Microsoft-Windows-PowerShell",
        "record_id": None,  # filled in file order, per host
        "task": "Execute a Remote Command",
        "user": {"domain": u["domain"], "identifier": u["sid"], "name": u["name"], "type": u["type"]},
        "version": 1,
    }
    d["_t"] = t
    d["_host"] = host
    d["_case"] = case
    d["_verdict"] = verdict
    d["_shape"] = shape
    docs.append(d)
    return d


def block(host, user, t, text, case=None, verdict=None, **kw):
    """One script block, split into CHUNK-sized fragments like PowerShell does; every fragment
    is trimmed (the ingest pipeline trims the text). `verdict` may be a list (per fragment)."""
    sbid = guid()
    frags = [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
    pid = rng.randrange(1200, 30000, 4)
    tid = rng.randrange(1200, 30000, 4)
    out = []
    for n, f in enumerate(frags, 1):
        v = verdict[n - 1] if isinstance(verdict, list) else verdict
        out.append(document(host, user, t + (n - 1) * rng.uniform(0.001, 0.004), f.strip(), sbid, n,
                            len(frags), pid, tid, case=case, verdict=v, **kw))
    return out


def biz_time():
    day = rng.randrange(DAYS)
    sec = rng.randrange(7 * 3600, 19 * 3600) if rng.random() < 0.8 else rng.randrange(86400)
    return START + day * 86400 + sec + rng.random()


def at(day, hh, mm, ss=0):
    return START + day * 86400 + hh * 3600 + mm * 60 + ss + rng.random()


# ---------------------------------------------------------------- filler (module-like code)
VERBS = ["Get", "Set", "Test", "Resolve", "Convert", "Format", "Invoke", "Update", "Write", "Read"]
NOUNS = ["ExBanner", "ServerRole", "SiteInfo", "DagState", "CertInfo", "QueueHealth", "ConfigValue",
         "LogPath", "RegistryValue", "ServiceState", "TransportPath", "EwsUrl", "OwaVDir",
         "PerfCounter", "DiskUsage", "BuildNumber", "RoleAssignment", "ShellTitle"]


def filler_function():
    name = "%s-%s%d" % (rng.choice(VERBS), rng.choice(NOUNS), rng.randrange(1, 99))
    var = rng.choice(["Server", "Name", "Path", "Value", "Timeout", "Role"])
    body = rng.choice([
        "    $key = 'HKLM:\\SOFTWARE\\Microsoft\\ExchangeServer\\v15\\Setup'\n"
        "    $v = (Get-ItemProperty -Path $key -ErrorAction SilentlyContinue).MsiProductMajor\n"
        "    Write-Verbose \"$%s resolved to build $v\"\n" % var,
        "    if (-not $%s) { $%s = $env:COMPUTERNAME }\n"
        "    $result = Get-Service -ComputerName $%s -Name MSExchange* |\n"
        "        Where-Object { $_.Status -ne 'Running' }\n"
        "    return $result\n" % (var, var, var),
        "    $sw = [System.Diagnostics.Stopwatch]::StartNew()\n"
        "    try {\n        $data = Get-Content -Path $%s -ErrorAction Stop\n    }\n"
        "    catch {\n        Write-Warning $_.Exception.Message\n        return $null\n    }\n"
        "    Write-Debug (\"{0} lines in {1} ms\" -f $data.Count, $sw.ElapsedMilliseconds)\n"
        "    $data\n" % var,
        "    foreach ($item in @($%s)) {\n"
        "        $o = [pscustomobject]@{ Item = $item; Checked = (Get-Date); Ok = $true }\n"
        "        if ($item -match '^\\s*$') { $o.Ok = $false }\n        $o\n    }\n" % var,
        "    $cim = Get-CimInstance -ClassName Win32_OperatingSystem\n"
        "    '{0:N1} GB free of {1:N1} GB' -f ($cim.FreePhysicalMemory / 1MB), ($cim.TotalVisibleMemorySize / 1MB)\n",
    ])
    return ("function %s\n{\n    [CmdletBinding()]\n    param(\n        [Parameter(Mandatory = $false)]\n"
            "        [string]$%s\n    )\n%s}\n\n" % (name, var, body))


def filler(n):
    """Exactly n characters of module-like code (the last line may be cut, then a newline)."""
    parts, size = [], 0
    while size < n:
        f = filler_function()
        parts.append(f)
        size += len(f)
    text = "".join(parts)[:n - 1] + "\n"
    assert not (tokens(text) & RULE_TOKENS), tokens(text) & RULE_TOKENS
    return text


# ---------------------------------------------------------------- background
def bg_generic():
    n = rng.randrange(3, 25)
    svc = rng.choice(["Spooler", "W32Time", "WinRM", "BITS", "wuauserv", "Dnscache"])
    return rng.choice([
        "{ Set-StrictMode -Version 1; $_.ErrorCategory_Message }",
        "{ Set-StrictMode -Version 1; $_.OriginInfo }",
        "{ Set-StrictMode -Version 1; $this.Exception.InnerException.PSMessageDetails }",
        "prompt",
        "$global:?",
        "Get-Process | Sort-Object CPU -Descending | Select-Object -First %d Name, Id, CPU, WS" % n,
        "Get-Service -Name %s | Restart-Service -Force -Verbose" % svc,
        "Get-Service %s | Select-Object Name, Status, StartType" % svc,
        "Get-ChildItem -Path C:\\Logs -Filter *.log -Recurse | Where-Object { $_.LastWriteTime -lt (Get-Date).AddDays(-%d) } | Remove-Item -Force" % n,
        "Get-WmiObject -Class Win32_LogicalDisk -Filter \"DriveType=3\" | Select-Object DeviceID, @{n='FreeGB';e={[math]::Round($_.FreeSpace/1GB,1)}}",
        "Test-NetConnection -ComputerName %s -Port %d" % (rng.choice(["exch01", "dc01", "fs01", "proxy.corp.contoso.com"]),
                                                          rng.choice([443, 445, 25, 3389, 5985])),
        "Get-MpComputerStatus | Select-Object AMServiceEnabled, AntivirusSignatureLastUpdated, RealTimeProtectionEnabled",
        "Get-WinEvent -LogName Security -MaxEvents %d | Where-Object Id -eq 4625" % (n * 10),
        "Get-HotFix | Sort-Object InstalledOn -Descending | Select-Object -First 5",
        "Get-NetIPConfiguration | Format-List InterfaceAlias, IPv4Address, DNSServer",
        "Import-Module PSReadLine; Set-PSReadLineOption -PredictionSource History",
        "$PSVersionTable.PSVersion",
        "Get-ScheduledTask | Where-Object State -eq 'Ready' | Select-Object TaskName, TaskPath -First %d" % n,
        "Get-Counter '\\Processor(_Total)\\%% Processor Time' -SampleInterval 2 -MaxSamples %d" % n,
        "Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion' | Select-Object ProductName, DisplayVersion, CurrentBuild",
    ])


def bg_exchange():
    m = rng.choice(MAILBOXES)
    other = rng.choice(MAILBOXES)
    srv = rng.choice(["EXCH01", "EXCH02"])
    return rng.choice([
        "Get-Mailbox -Identity %s | Format-List Name, PrimarySmtpAddress, Database, ProhibitSendQuota" % m,
        "Set-Mailbox -Identity %s -ProhibitSendQuota 49GB -ProhibitSendReceiveQuota 50GB -IssueWarningQuota 45GB" % m,
        "Get-MailboxStatistics -Identity %s | Select-Object DisplayName, ItemCount, TotalItemSize, LastLogonTime" % m,
        "Get-MailboxDatabase -Status | Select-Object Name, Server, Mounted, DatabaseSize, AvailableNewMailboxSpace",
        "Get-MessageTrackingLog -Sender %s@contoso.com -Start (Get-Date).AddHours(-4) -ResultSize 200 | Select-Object Timestamp, EventId, Recipients, MessageSubject" % m,
        "Get-ExchangeServer | Test-ServiceHealth",
        "Get-Queue -Server %s | Where-Object { $_.MessageCount -gt 0 }" % srv,
        "Add-MailboxPermission -Identity %s -User %s -AccessRights FullAccess -InheritanceType All -AutoMapping $false" % (m, other),
        "Get-MailboxExportRequest | Get-MailboxExportRequestStatistics | Select-Object Name, Status, PercentComplete, BytesTransferred",
        "Get-MailboxExportRequest -Status Completed | Remove-MailboxExportRequest -Confirm:$false",
        "Set-CASMailbox -Identity %s -OWAEnabled $true -ActiveSyncEnabled $false" % m,
        "Get-TransportRule | Select-Object Name, State, Priority",
        "Get-Mailbox -ResultSize Unlimited | Where-Object { $_.LitigationHoldEnabled } | Select-Object Name, LitigationHoldDate",
        "Get-MailboxImportRequest | Get-MailboxImportRequestStatistics | Format-Table Name, Status, PercentComplete",
        "Get-ReceiveConnector -Server %s | Select-Object Identity, Bindings, RemoteIPRanges" % srv,
        "Get-ExchangeCertificate -Server %s | Where-Object { $_.NotAfter -lt (Get-Date).AddDays(30) }" % srv,
        "Get-DatabaseAvailabilityGroup -Status | Format-List Name, OperationalServers, PrimaryActiveManager",
        ". 'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\bin\\RemoteExchange.ps1'; Connect-ExchangeServer -auto -ClientApplication:ManagementShell",
        "Get-MailboxFolderStatistics -Identity %s -FolderScope Inbox | Select-Object Name, ItemsInFolder, FolderSize" % m,
        "Get-Recipient -Identity %s | Select-Object Name, RecipientTypeDetails, PrimarySmtpAddress" % m,
        "Set-MailboxAutoReplyConfiguration -Identity %s -AutoReplyState Disabled" % m,
    ])


def bg_workstation():
    return rng.choice([
        "Get-ChildItem \"$env:USERPROFILE\\Documents\\Outlook Files\" -Filter *.pst | Measure-Object Length -Sum",
        "Get-Printer | Select-Object Name, DriverName, PortName",
        "Get-AppxPackage -Name Microsoft.Teams* | Select-Object Name, Version",
        "Start-Process ms-settings:windowsupdate",
        "Get-BitLockerVolume -MountPoint C: | Select-Object VolumeStatus, ProtectionStatus",
        "Clear-RecycleBin -Force -ErrorAction SilentlyContinue",
        "Get-NetAdapter | Where-Object Status -eq 'Up'",
        "Resolve-DnsName -Name outlook.office365.com -Type A",
    ])


INTUNE = "C:\\Program Files (x86)\\Microsoft Intune Management Extension\\Policies\\Scripts"


def background(count):
    made = 0
    while made < count:
        r = rng.random()
        t = biz_time()
        if r < 0.32:
            host = rng.choice(ADMIN_BOXES)
            out = block(host, rng.choice(ADMINS), t, bg_exchange())
        elif r < 0.62:
            host = rng.choice(list(HOSTS)[:8])
            user = "SYSTEM" if rng.random() < 0.3 else rng.choice(ADMINS + STAFF)
            out = block(host, user, t, bg_generic())
        elif r < 0.80:
            host = rng.choice(WORKSTATIONS)
            out = block(host, rng.choice(STAFF), t, bg_workstation())
        elif r < 0.88:
            host = rng.choice(WORKSTATIONS)
            script = "%s\\%s_%s.ps1" % (INTUNE, guid(), guid())
            text = ("$ErrorActionPreference = 'Stop'\n$key = 'HKLM:\\SOFTWARE\\Contoso\\Compliance'\n"
                    "if (-not (Test-Path $key)) { New-Item -Path $key -Force | Out-Null }\n"
                    "Set-ItemProperty -Path $key -Name LastCheck -Value (Get-Date -Format o)\n"
                    "exit 0")
            out = block(host, "SYSTEM", t, text, script=script)
        elif r < 0.93:
            # Linux jump host: ordinary PowerShell 7 activity
            out = block("lnx-jump01", rng.choice(ADMINS), t,
                        rng.choice(["Get-Process pwsh | Select-Object Id, CPU, WorkingSet",
                                    "Get-Module -ListAvailable | Select-Object Name, Version",
                                    "Test-Connection exch01.corp.contoso.com -Count 2",
                                    "Get-Content /var/log/syslog -Tail 50"]))
        else:
            # module import: a long block split into fragments
            host = rng.choice(ADMIN_BOXES + SERVERS)
            n = rng.choice([1, 2, 2, 3])
            text = filler(CHUNK * (n - 1) + rng.randrange(2000, 15000))
            out = block(host, rng.choice(ADMINS + ["SYSTEM"]), t, text)
        for d in out:
            d["_verdict"] = False
            if rng.random() < 0.14:
                d["_shape"] = rng.choice(["os_type_dotted", "os_type_dotted", "text_dotted",
                                          "category_dotted", "flat"])
        made += len(out)


# ---------------------------------------------------------------- cases
def cases():
    c = []  # (case, verdict) for documentation in --cases output

    def add(case, verdict, host, user, t, text, **kw):
        c.append(case)
        return block(host, user, t, text, case=case, verdict=verdict, **kw)

    # --- true positives -----------------------------------------------------------
    add("T01 classic -Mailbox/-FilePath UNC .pst", True, "exch01", "exadmin", at(0, 9, 12),
        "New-MailboxExportRequest -Mailbox j.doe -FilePath \\\\EXCH01\\PST$\\j.doe.pst")
    add("T02 quoted values, -Name/-BadItemLimit", True, "exch02", "a.kowalczyk", at(0, 10, 47),
        "New-MailboxExportRequest -Mailbox \"legal.hold01@contoso.com\" "
        "-FilePath \"\\\\fs01\\LegalHold$\\2025-03\\legal.hold01.pst\" -Name \"LH-2025-0310\" "
        "-BadItemLimit 50 -AcceptLargeDataLoss")
    add("T03 Get-Mailbox pipeline, positional mailbox", True, "exch01", "exadmin", at(0, 14, 3),
        "Get-Mailbox -OrganizationalUnit \"OU=Executives,DC=corp,DC=contoso,DC=com\" | ForEach-Object {\n"
        "    New-MailboxExportRequest $_ -FilePath \"\\\\fs01\\exports$\\$($_.SamAccountName).pst\"\n}")
    add("T04 ExportToPSTFile (cmdlet only named in a comment)", True, "adm-ws07", "m.reyes", at(1, 2, 17),
        "# New-MailboxExportRequest needs the Mailbox Import Export role; use the MAPI helper instead\n"
        "Add-Type -Path 'C:\\ProgramData\\Tools\\MapiExport.dll'\n"
        "$exp = New-Object MapiExport.Exporter('exch02.corp.contoso.com')\n"
        "$exp.ExportToPSTFile('m.chen', 'C:\\ProgramData\\Tools\\out\\m.chen.pst')")
    add("T05 -Identity only (positional mailbox)", True, "exch02", "a.kowalczyk", at(0, 15, 30),
        "$req = New-MailboxExportRequest \"r.patel\" -FilePath \"\\\\fs01\\exports$\\r.patel.pst\"\n"
        "Start-Sleep -Seconds 30\n"
        "Get-MailboxExportRequestStatistics -Identity $req.Identity | Format-List Status, PercentComplete")
    add("T06 -FilePath from a variable, no pst token", True, "exch01", "svc-exbackup", at(1, 1, 5),
        "function Export-UserMailbox\n{\n    param([string]$Mailbox, [string]$Destination)\n"
        "    New-MailboxExportRequest -Mailbox $Mailbox -FilePath $Destination -Name \"Export-$Mailbox\"\n}",
        script="C:\\Scripts\\Backup\\Export-UserMailbox.ps1")
    add("T07 module-qualified cmdlet name", True, "exch02", "exadmin", at(1, 11, 40),
        "Microsoft.Exchange.Management.PowerShell.SnapIn\\New-MailboxExportRequest -Mailbox cfo "
        "-FilePath \\\\fs01\\exports$\\cfo.pst")
    add("T08 colon parameter syntax", True, "exch02", "exadmin", at(1, 13, 2),
        "New-MailboxExportRequest -Mailbox:'hr.director' -FilePath:'\\\\EXCH02\\PST$\\hr.director.pst' -IsArchive:$true")
    add("T09 mixed letter case", True, "exch01", "a.kowalczyk", at(1, 16, 21),
        "new-mailboxexportrequest -mailbox it.audit -FILEPATH \\\\FS01\\EXPORTS$\\IT.AUDIT.PST")
    add("T10 .pst inside a word (export.pst), -File abbreviation", True, "exch02", "exadmin", at(2, 8, 55),
        "New-MailboxExportRequest -Mailbox s.okafor -File \\\\fs01\\exports$\\export.pst")
    add("T11 bare word PST, -File abbreviation", True, "exch01", "exadmin", at(2, 9, 31),
        "$dest = '\\\\fs01\\archive$\\leavers'\n"
        "foreach ($m in @('t.nguyen', 'b.schulz')) {\n"
        "    Write-Host \"Exporting $m to PST...\"\n"
        "    New-MailboxExportRequest -Mailbox $m -File \"$dest\\$m\" -Name \"Leaver-$m\"\n}")
    add("T12 event.category as an array [\"process\"]", True, "exch01", "exadmin", at(2, 10, 12),
        "New-MailboxExportRequest -Mailbox k.ito -FilePath \\\\EXCH01\\PST$\\k.ito.pst",
        category=["process"])
    add("T13 event.category array [\"configuration\", \"process\"]", True, "exch02", "a.kowalczyk",
        at(2, 10, 40), "New-MailboxExportRequest -Mailbox a.garcia -FilePath \\\\EXCH02\\PST$\\a.garcia.pst",
        category=["configuration", "process"])
    add("T14 en dashes, saved by Get-Mailbox and .pst", True, "exch01", "exadmin", at(2, 11, 5),
        "Get-Mailbox \u2013Identity ceo | New-MailboxExportRequest \u2013FilePath \\\\fs01\\exports$\\ceo.pst",
        shape="ascii_escaped")
    # 3-fragment module block; only fragment 2 holds a complete export call
    head = "# Contoso Exchange maintenance module (loaded by the nightly task)\n"
    call = ("function Invoke-ContosoLegalExport\n{\n    param($Mailbox)\n"
            "    New-MailboxExportRequest -Mailbox $Mailbox -FilePath \"\\\\fs01\\LegalHold$\\$Mailbox.pst\"\n}\n")
    text = head + filler(CHUNK - len(head)) + call + filler(CHUNK - len(call)) + filler(6400)
    add("T15 fragment 2 of 3 holds the whole call", [False, True, False], "exch02", "svc-exbackup",
        at(2, 2, 0), text, script="C:\\Program Files\\Contoso\\ExMaint\\ContosoExMaint.psm1")
    add("T16 all keys dotted (flat document)", True, "exch01", "exadmin", at(2, 12, 44),
        "New-MailboxExportRequest -Mailbox t.nguyen -FilePath \\\\EXCH01\\PST$\\t.nguyen.pst",
        shape="flat")
    add("T17 mixed: \"host.os.type\" top-level, \"file.script_block_text\" under powershell", True,
        "exch02", "exadmin", at(2, 13, 8),
        "New-MailboxExportRequest -Mailbox b.schulz -FilePath \\\\EXCH02\\PST$\\b.schulz.pst",
        shape="mixed")
    add("T18 attacker: Get-Mailbox loop, staging under aspnet_client", True, "exch01", "m.reyes",
        at(1, 2, 41),
        "$mbx = Get-Mailbox -ResultSize Unlimited -RecipientTypeDetails UserMailbox\n"
        "foreach ($m in $mbx) {\n"
        "    New-MailboxExportRequest -Mailbox $m.PrimarySmtpAddress "
        "-FilePath \"\\\\EXCH01\\c$\\inetpub\\wwwroot\\aspnet_client\\$($m.Alias).pst\"\n}")
    add("T19 attacker: -ContentFilter, single mailbox", True, "exch01", "m.reyes", at(1, 2, 58),
        "New-MailboxExportRequest -Mailbox \"c.walsh\" -ContentFilter {(Received -ge '03/01/2025') -and "
        "(Subject -like '*merger*')} -FilePath \"\\\\EXCH01\\c$\\inetpub\\wwwroot\\aspnet_client\\c.walsh.pst\"")
    add("T20 call operator on a quoted name", True, "exch02", "m.reyes", at(1, 3, 14),
        "& 'New-MailboxExportRequest' -Mailbox finance.ap -FilePath \\\\EXCH02\\c$\\Windows\\Temp\\fa.pst")
    add("T21 Invoke-Command with $using: variables", True, "adm-ws07", "a.kowalczyk", at(0, 16, 2),
        "Invoke-Command -ComputerName exch02 -ScriptBlock {\n"
        "    New-MailboxExportRequest -Mailbox $using:target -FilePath $using:path\n}")
    add("T22 splat of FilePath (.pst literal) with explicit -Mailbox", True, "exch01", "exadmin",
        at(0, 17, 19),
        "$p = @{ FilePath = '\\\\fs01\\exports$\\m.chen.pst'; BadItemLimit = 10 }\n"
        "New-MailboxExportRequest -Mailbox m.chen @p")
    add("T23 script file with file.path", True, "exch02", "svc-exbackup", at(2, 1, 30),
        "<#\n.SYNOPSIS\n  Weekly legal-hold export (ticket CHG-20931)\n#>\n"
        "param([string[]]$Mailboxes = @('legal.hold01'))\n"
        "foreach ($mb in $Mailboxes) {\n"
        "    $stamp = Get-Date -Format yyyyMMdd\n"
        "    New-MailboxExportRequest -Mailbox $mb -FilePath \"\\\\fs01\\LegalHold$\\$mb-$stamp.pst\" -Priority High\n}",
        script="C:\\Scripts\\Legal\\Export-LegalHold.ps1")
    add("T24 dotted \"event.category\" and \"host.os.type\" keys", True, "exch01", "a.kowalczyk",
        at(2, 15, 51),
        "New-MailboxExportRequest -Mailbox r.patel -FilePath \\\\EXCH01\\PST$\\r.patel-archive.pst -IsArchive",
        shape="category_and_os_dotted")

    # --- near misses ---------------------------------------------------------------
    add("N01 PSTExports: pst only inside a longer token", False, "exch01", "exadmin", at(0, 11, 2),
        "New-MailboxExportRequest -Mailbox j.doe -File \"\\\\fs01\\PSTExports\\j.doe\"")
    add("N02 Get-MailboxStatistics, not Get-Mailbox", False, "exch02", "a.kowalczyk", at(0, 13, 33),
        "Get-MailboxStatistics -Database DB02 | Where-Object { $_.TotalItemSize -gt 5GB } | ForEach-Object {\n"
        "    New-MailboxExportRequest $_.DisplayName -FilePath \"\\\\fs01\\exports$\\$($_.DisplayName).pst\"\n}")
    add("N03 $FilePath variable and -File:$FilePath", False, "exch01", "svc-exbackup", at(1, 0, 30),
        "param($Mailbox, $FilePath)\nNew-MailboxExportRequest -Mailbox:$Mailbox -File:$FilePath",
        script="C:\\Scripts\\Backup\\Export-One.ps1")
    add("N04 @{FilePath=...} splat, no pst, explicit -Mailbox", False, "exch02", "exadmin", at(1, 9, 12),
        "$params = @{ FilePath = $dest; BadItemLimit = 50 }\nNew-MailboxExportRequest -Mailbox $m @params")
    add("N05 everything splatted (Mailbox and FilePath), .pst path", False, "exch01", "exadmin",
        at(1, 9, 48),
        "$p = @{ Mailbox = 'ceo'; FilePath = '\\\\fs01\\exports$\\ceo.pst' }\nNew-MailboxExportRequest @p")
    add("N06 Linux host (host.os.type linux)", False, "lnx-jump01", "exadmin", at(1, 10, 20),
        "New-MailboxExportRequest -Mailbox j.doe -FilePath \\\\EXCH01\\PST$\\j.doe.pst")
    add("N07 Linux host, dotted \"host.os.type\": \"linux\"", False, "lnx-jump01", "a.kowalczyk",
        at(1, 10, 26), "New-MailboxExportRequest -Mailbox cfo -FilePath \\\\EXCH01\\PST$\\cfo.pst",
        shape="os_type_dotted")
    add("N08 event.category configuration", False, "exch01", "exadmin", at(1, 12, 5),
        "New-MailboxExportRequest -Mailbox ceo -FilePath \\\\EXCH01\\PST$\\ceo.pst",
        category="configuration")
    add("N09 event.category \"Process\" (capitalised)", False, "exch02", "exadmin", at(1, 12, 9),
        "New-MailboxExportRequest -Mailbox ceo -FilePath \\\\EXCH02\\PST$\\ceo.pst",
        category="Process")
    add("N10 host.os.type \"Windows\" (capitalised)", False, "exch01", "a.kowalczyk", at(1, 12, 30),
        "New-MailboxExportRequest -Mailbox hr.director -FilePath \\\\EXCH01\\PST$\\hr.director.pst",
        os_type="Windows")
    add("N11 en dashes (\u2013Mailbox \u2013FilePath)", False, "exch02", "m.reyes", at(1, 3, 40),
        "New-MailboxExportRequest \u2013Mailbox ceo \u2013FilePath \\\\EXCH02\\c$\\Windows\\Temp\\ceo.pst")
    add("N12 positional mailbox only (no -Mailbox/-Identity/Get-Mailbox)", False, "exch01", "exadmin",
        at(2, 14, 12), "New-MailboxExportRequest \"cfo\" -FilePath \\\\fs01\\exports$\\cfo.pst")
    add("N13 wrapper name New-MailboxExportRequestBatch", False, "adm-ws07", "a.kowalczyk", at(2, 14, 40),
        "New-MailboxExportRequestBatch -Mailbox finance.ap -FilePath \\\\fs01\\exports$\\finance.ap.pst")
    add("N14 New-MailboxImportRequest", False, "exch01", "exadmin", at(0, 12, 0),
        "New-MailboxImportRequest -Mailbox j.doe -FilePath \\\\fs01\\restore$\\j.doe.pst -TargetRootFolder Restored")
    add("N15 backtick inside the cmdlet name", False, "exch02", "m.reyes", at(1, 3, 52),
        "New-Mailbox`ExportRequest -Mailbox cfo -FilePath \\\\EXCH02\\c$\\Windows\\Temp\\cfo.pst")
    add("N16 cmdlet name built by concatenation", False, "exch02", "m.reyes", at(1, 4, 6),
        "$c = 'New-Mailbox' + 'ExportRequest'\n& $c -Mailbox ceo -FilePath \\\\EXCH02\\c$\\Windows\\Temp\\c2.pst")
    add("N17 Get-Help only", False, "adm-ws07", "a.kowalczyk", at(0, 8, 40),
        "Get-Help New-MailboxExportRequest -Examples")
    # implicit-remoting proxy module: defines Get-Mailbox and New-MailboxExportRequest, but its
    # parameters are ${FilePath}/${Mailbox} (no hyphen) and nothing says pst
    proxy = ("function Get-Mailbox\n{\n    [CmdletBinding(DefaultParameterSetName='AnrSet')]\n"
             "    param(\n    ${Anr},\n    ${Identity},\n    ${ResultSize})\n"
             "    Begin {\n        $scriptCmd = { & $script:InvokeCommand `\n"
             "                @clientSideParameters `\n                -HideComputerName `\n"
             "                -Session (Get-PSImplicitRemotingSession -CommandName 'Get-Mailbox') `\n"
             "                -Arg ('Get-Mailbox', $PSBoundParameters, $positionalArguments) `\n"
             "                -Script { param($name, $boundParams, $unboundParams) & $name @boundParams @unboundParams } }\n"
             "    }\n}\n\n"
             "function New-MailboxExportRequest\n{\n    [CmdletBinding(DefaultParameterSetName='MailboxExportRequest', "
             "SupportsShouldProcess=$true, ConfirmImpact='Medium')]\n"
             "    param(\n    ${AcceptLargeDataLoss},\n    ${BadItemLimit},\n    ${ContentFilter},\n"
             "    ${FilePath},\n    ${IsArchive},\n    ${Mailbox},\n    ${Name})\n"
             "    Begin {\n        $scriptCmd = { & $script:InvokeCommand `\n"
             "                @clientSideParameters `\n                -HideComputerName `\n"
             "                -Session (Get-PSImplicitRemotingSession -CommandName 'New-MailboxExportRequest') `\n"
             "                -Arg ('New-MailboxExportRequest', $PSBoundParameters, $positionalArguments) `\n"
             "                -Script { param($name, $boundParams, $unboundParams) & $name @boundParams @unboundParams } }\n"
             "    }\n}\n")
    add("N18 implicit-remoting proxy module (${FilePath}, no pst)", False, "adm-ws07", "a.kowalczyk",
        at(0, 8, 31), proxy,
        script="C:\\Users\\a.kowalczyk\\AppData\\Local\\Temp\\tmp_4f1c2a9e.k3d\\tmp_4f1c2a9e.k3d.psm1")
    # script split mid-call: neither fragment holds all the clauses
    call_a = "function Export-Leaver\n{\n    param($m)\n    New-MailboxExportRequest -Mailbox $m `\n"
    call_b = "        -FilePath \"\\\\fs01\\archive$\\leavers\\$m.pst\"\n}\n"
    text = filler(CHUNK - len(call_a)) + call_a + call_b + filler(3100)
    add("N19 call split over two fragments", [False, False], "exch01", "svc-exbackup", at(2, 3, 0), text,
        script="C:\\Scripts\\Leavers\\LeaverTools.psm1")
    # cmdlet name cut by the fragment boundary
    call_a = "function Export-Quarterly\n{\n    param($m)\n    New-Mailbox"
    call_b = "ExportRequest -Mailbox $m -FilePath \"\\\\fs01\\archive$\\q1\\$m.pst\"\n}\n"
    text = filler(CHUNK - len(call_a)) + call_a + call_b + filler(2500)
    add("N20 cmdlet name cut by the fragment boundary", [False, False], "exch02", "svc-exbackup",
        at(2, 3, 30), text, script="C:\\Scripts\\Archive\\QuarterlyArchive.psm1")
    add("N21 no event.category at all", False, "exch01", "exadmin", at(2, 16, 10),
        "New-MailboxExportRequest -Mailbox c.walsh -FilePath \\\\EXCH01\\PST$\\c.walsh.pst",
        category=None)
    add("N22 role assignment before an export (no cmdlet)", False, "exch01", "m.reyes", at(1, 2, 20),
        "New-ManagementRoleAssignment -Role \"Mailbox Import Export\" -User m.reyes")
    add("N23 cleanup after the export", False, "exch01", "m.reyes", at(1, 5, 2),
        "Get-MailboxExportRequest | Remove-MailboxExportRequest -Confirm:$false\n"
        "Remove-Item \"\\\\EXCH01\\c$\\inetpub\\wwwroot\\aspnet_client\\*.pst\" -Force")
    return c


# ---------------------------------------------------------------- shapes
def leaves(obj, prefix=""):
    for k, v in obj.items():
        p = prefix + k
        if isinstance(v, dict):
            yield from leaves(v, p + ".")
        else:
            yield p, v


def pop_path(obj, parts):
    """Remove the leaf at parts from nested dicts (dropping emptied dicts); return its value."""
    if len(parts) == 1:
        return obj.pop(parts[0])
    v = pop_path(obj[parts[0]], parts[1:])
    if not obj[parts[0]]:
        del obj[parts[0]]
    return v


def dot(doc, path, keep):
    """Move leaf `path` to a literal dotted key, keeping the first `keep` parts as objects."""
    parts = path.split(".")
    v = pop_path(doc, parts)
    target = doc
    for p in parts[:keep]:
        target = target.setdefault(p, {})
    target[".".join(parts[keep:])] = v


def apply_shape(d, shape):
    if shape in (None, "ascii_escaped"):
        return d
    if shape == "flat":
        return dict(leaves(d))
    if shape == "os_type_dotted":
        dot(d, "host.os.type", 0)
    elif shape == "text_dotted":
        dot(d, "powershell.file.script_block_text", 1)
    elif shape == "category_dotted":
        if "category" in d["event"]:
            dot(d, "event.category", 0)
    elif shape == "mixed":
        dot(d, "host.os.type", 0)
        dot(d, "powershell.file.script_block_text", 1)
    elif shape == "category_and_os_dotted":
        dot(d, "event.category", 0)
        dot(d, "host.os.type", 1)
    else:
        raise ValueError(shape)
    return d


# ---------------------------------------------------------------- main
def main():
    labelled = cases()
    case_docs = len(docs)
    background(N_DOCS - case_docs)
    assert len(docs) == N_DOCS, len(docs)
    # background must not carry the cmdlet token
    for d in docs:
        if d["_case"] is None:
            assert CMDLET_TOKEN not in tokens(d["powershell"]["file"]["script_block_text"]), d

    docs.sort(key=lambda d: (d["_t"], d["powershell"]["sequence"]))
    lines, report, matches = [], [], []
    for n, d in enumerate(docs, 1):
        h = HOSTS[d.pop("_host")]
        h["record"] += 1
        d["winlog"]["record_id"] = str(h["record"])
        if d["event"]["category"] is None:
            del d["event"]["category"]
        d.pop("_t")
        case, verdict, shape = d.pop("_case"), d.pop("_verdict"), d.pop("_shape")
        sbid, seq = d["powershell"]["file"]["script_block_id"], d["powershell"]["sequence"]
        if verdict:
            matches.append((sbid, seq))
        if case is not None:
            report.append("%4d  %-5s  %s %d  %s" % (n, "MATCH" if verdict else "no", sbid, seq, case))
        d = apply_shape(d, shape)
        line = json.dumps(d, ensure_ascii=(shape == "ascii_escaped"), separators=(",", ":"))
        assert json.loads(line) == d
        lines.append(line)

    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")
    with open(EXPECTED, "w", encoding="utf-8", newline="\n") as f:
        f.write("# script_block_id sequence of every document the rule must match (from the hand-worked\n"
                "# case verdicts in generate.py; regenerate with `python3 generate.py`)\n")
        for sbid, seq in matches:
            f.write("%s %d\n" % (sbid, seq))
    print("wrote %d documents (%d in %d labelled cases) to %s" % (len(lines), case_docs, len(labelled), OUT))
    if "--cases" in sys.argv[1:]:
        print("\n".join(report))


if __name__ == "__main__":
    main()
