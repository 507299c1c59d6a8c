#!/usr/bin/env python3
"""Writes the sample fleet in every input format mdmbatch reads, so they stay in step.

    python3 samples/generate.py     # rewrites the files of samples/

The fleet covers every platform row of RULES.md ("Normalising platforms") of both rule
sets, every enrollment value (and Android devices whose enrollment is unknown), both
outcomes of the Windows RT / 8.1 user condition, software-client PCs, EAS-managed
devices, devices managed by agents Intune does not act through (Jamf, Configuration
Manager only), a device without passcode, a stale device and an ambiguous serial number.
"""
import csv, json, os

HERE = os.path.dirname(os.path.abspath(__file__))

USERS = [
    ("jdoe@contoso.com", "Jane Doe", "jane.doe@contoso.com", "Sales"),
    ("asmith@contoso.com", "Adam Smith", "adam.smith@contoso.com", "Finance"),
    ("bwong@contoso.com", "Bo Wong", "bo.wong@contoso.com", "Engineering"),
    ("cgarcia@contoso.com", "Carmen Garcia", "carmen.garcia@contoso.com", "Engineering"),
    ("dkim@contoso.com", "Dae Kim", "dae.kim@contoso.com", "Legal"),
    ("emuller@contoso.com", "Eva Müller", "eva.mueller@contoso.com", "Research, Berlin"),
    ("fnovak@contoso.com", "Filip Novák", "filip.novak@contoso.com", "Support"),
    ("gpatel@contoso.com", "Gita Patel", "gita.patel@contoso.com", "IT"),
    ("newhire@contoso.com", "New Hire", "new.hire@contoso.com", "IT"),  # no devices yet
]

# id, name, serial, imei, platform, os_version, management, primary, enrolled_by, passcode, last_check_in
RECENT = "2026-11-24T08:15:00Z"
DEVICES = [
    ("d-0001", "Jane's iPhone", "F2LXK0AAHG7F", "356938035643809", "iOS", "17.2", "mdm", "jdoe@contoso.com", "jdoe@contoso.com", "true", RECENT),
    ("d-0002", "Jane's iPad", "DMPXK1BBHG7F", "", "iPadOS", "17.1", "mdm", "jdoe@contoso.com", "jdoe@contoso.com", "true", RECENT),
    ("d-0003", "Adam's iPhone", "F2LXK0CCHG7F", "356938035643817", "iPhone", "16.5", "mdm", "asmith@contoso.com", "asmith@contoso.com", "true", RECENT),
    ("d-0004", "Design MacBook", "C02XK0DDJGH5", "", "macOS", "14.2", "mdm", "bwong@contoso.com", "bwong@contoso.com", "true", RECENT),
    ("d-0005", "Old iMac", "C02XK0EEJGH5", "", "Mac OS X", "10.15.7", "mdm", "cgarcia@contoso.com", "cgarcia@contoso.com", "", RECENT),
    ("d-0006", "Warehouse scanner", "R58M11FFAAA", "352099001761481", "Android", "6.0.1", "mdm", "fnovak@contoso.com", "fnovak@contoso.com", "true", RECENT),
    ("d-0007", "Jane's Pixel", "9A1B2C3D4E", "352099001761499", "Android", "13", "mdm", "jdoe@contoso.com", "jdoe@contoso.com", "true", RECENT),
    ("d-0008", "Sales tablet", "R58M11GGAAA", "352099001761507", "AndroidForWork", "7.0", "mdm", "asmith@contoso.com", "asmith@contoso.com", "true", RECENT),
    ("d-0009", "Field phone", "R58M11HHAAA", "352099001761515", "AndroidEnterprise", "12", "mdm", "fnovak@contoso.com", "fnovak@contoso.com", "true", RECENT),
    ("d-0010", "Work-profile phone", "R58M11IIAAA", "352099001761523", "Android (work profile)", "5.1.1", "mdm", "dkim@contoso.com", "dkim@contoso.com", "true", RECENT),
    ("d-0011", "Lumia 950", "W10M-0011", "359865070012345", "Windows 10 Mobile", "10.0.15063.850", "mdm", "gpatel@contoso.com", "gpatel@contoso.com", "true", RECENT),
    ("d-0012", "Lumia 650", "W10M-0012", "359865070012352", "WindowsPhone", "10.0.14393.2007", "mdm", "gpatel@contoso.com", "gpatel@contoso.com", "true", RECENT),
    ("d-0013", "Lumia 930", "WP81-0013", "359865070012360", "Windows Phone", "8.10.14219.341", "mdm", "emuller@contoso.com", "emuller@contoso.com", "true", RECENT),
    ("d-0014", "Lumia 920", "WP8-0014", "359865070012378", "Windows Phone 8", "", "mdm", "emuller@contoso.com", "emuller@contoso.com", "true", RECENT),
    ("d-0015", "Lumia 800", "WP7-0015", "359865070012386", "Windows Phone", "7.10.8858", "mdm", "emuller@contoso.com", "emuller@contoso.com", "true", RECENT),
    ("d-0016", "Surface RT (kiosk)", "RT81-0016", "", "Windows RT 8.1", "6.3.9600", "mdm", "bwong@contoso.com", "bwong@contoso.com", "true", RECENT),
    ("d-0017", "Surface RT (shared)", "RT81-0017", "", "Windows RT", "6.3.9600", "mdm", "cgarcia@contoso.com", "gpatel@contoso.com", "true", RECENT),
    ("d-0018", "Surface RT (2012)", "RT-0018", "", "WindowsRT", "6.2.9200", "mdm", "dkim@contoso.com", "DKim@Contoso.com", "true", RECENT),
    ("d-0019", "Reception PC", "W81-0019", "", "Windows 8.1", "6.3.9600", "mdm", "asmith@contoso.com", "gpatel@contoso.com", "true", RECENT),
    ("d-0020", "Lab PC", "W81-0020", "", "Windows", "6.3.9600", "mdm", "bwong@contoso.com", "", "true", RECENT),
    ("d-0021", "Jane's laptop", "W10-0021", "", "Windows", "10.0.19045.3803", "mdm", "jdoe@contoso.com", "jdoe@contoso.com", "true", RECENT),
    ("d-0022", "Adam's laptop", "W11-0022", "", "Windows 11", "10.0.22631.2861", "mdm", "asmith@contoso.com", "asmith@contoso.com", "true", RECENT),
    ("d-0023", "Meeting room PC", "W10-0023", "", "Desktop", "10.0.19045.3803", "mdm", "gpatel@contoso.com", "gpatel@contoso.com", "true", RECENT),
    ("d-0024", "Unknown-version PC", "WIN-0024", "", "Windows", "", "mdm", "cgarcia@contoso.com", "cgarcia@contoso.com", "true", RECENT),
    ("d-0025", "Legacy Windows 7 PC", "W7-0025", "", "Windows", "6.1.7601", "mdm", "dkim@contoso.com", "dkim@contoso.com", "true", RECENT),
    ("d-0026", "Finance PC (agent)", "W10-0026", "", "Windows 10", "10.0.19045.3803", "software_client", "asmith@contoso.com", "asmith@contoso.com", "true", RECENT),
    ("d-0027", "Old finance PC (agent)", "W81-0027", "", "Windows 8.1", "6.3.9600", "software_client", "asmith@contoso.com", "asmith@contoso.com", "true", RECENT),
    ("d-0028", "Build server", "LNX-0028", "", "Linux", "6.5.0", "mdm", "bwong@contoso.com", "bwong@contoso.com", "true", RECENT),
    ("d-0029", "Chromebook", "CRB-0029", "", "ChromeOS", "120.0", "mdm", "cgarcia@contoso.com", "cgarcia@contoso.com", "true", RECENT),
    ("d-0030", "Exec iPhone (EAS)", "F2LXK0JJHG7F", "356938035643825", "iOS", "17.2", "eas", "dkim@contoso.com", "dkim@contoso.com", "true", RECENT),
    ("d-0031", "Old Android (EAS)", "R58M11KKAAA", "352099001761531", "Android", "4.4.4", "eas", "fnovak@contoso.com", "fnovak@contoso.com", "true", RECENT),
    ("d-0032", "Support iPad (MDM/EAS)", "DMPXK1LLHG7F", "", "iOS", "16.7", "eas_mdm", "fnovak@contoso.com", "fnovak@contoso.com", "true", RECENT),
    ("d-0033", "Loaner iPhone", "F2LXK0MMHG7F", "356938035643833", "iOS", "17.2", "mdm", "gpatel@contoso.com", "gpatel@contoso.com", "false", RECENT),
    ("d-0034", "Test Android", "R58M11NNAAA", "352099001761549", "Android", "8.0.0", "mdm", "bwong@contoso.com", "bwong@contoso.com", "", RECENT),
    ("d-0035", "Drawer iPhone", "F2LXK0OOHG7F", "356938035643841", "iOS", "15.8", "mdm", "cgarcia@contoso.com", "cgarcia@contoso.com", "true", "2026-08-01T10:00:00Z"),
    ("d-0036", "Refurb phone A", "DUP-SERIAL-01", "352099001761556", "Android", "9", "mdm", "dkim@contoso.com", "dkim@contoso.com", "true", RECENT),
    ("d-0037", "Refurb phone B", "DUP-SERIAL-01", "352099001761564", "Android", "9", "mdm", "emuller@contoso.com", "emuller@contoso.com", "true", RECENT),
    ("d-0038", "Unmanaged-state iPhone", "F2LXK0PPHG7F", "356938035643858", "iOS", "17.2", "", "emuller@contoso.com", "emuller@contoso.com", "true", RECENT),
    ("d-0039", "Shop-floor kiosk", "R58M11QQAAA", "352099001761572", "Android", "14", "mdm", "fnovak@contoso.com", "fnovak@contoso.com", "true", RECENT),
    ("d-0040", "Delivery terminal", "AOSP-0040", "352099001761580", "AOSP", "13", "mdm", "fnovak@contoso.com", "fnovak@contoso.com", "true", RECENT),
    ("d-0041", "Vision Pro", "VIS-0041", "", "visionOS", "2.1", "mdm", "bwong@contoso.com", "bwong@contoso.com", "true", RECENT),
    ("d-0042", "Vision Pro (dev kit)", "VIS-0042", "", "visionOS", "1.1", "mdm", "bwong@contoso.com", "bwong@contoso.com", "true", RECENT),
    ("d-0043", "Designer Mac (Jamf)", "C02XK0RRJGH5", "", "macOS", "14.5", "jamf", "cgarcia@contoso.com", "cgarcia@contoso.com", "true", RECENT),
    ("d-0044", "Plant PC (Configuration Manager)", "W10-0044", "", "Windows 10", "10.0.19045.3803", "configurationManagerClient", "gpatel@contoso.com", "gpatel@contoso.com", "true", RECENT),
]

# How the Android devices (and the AOSP one) are enrolled (RULES.md, intune-2025, "Enrollment");
# the others have none, and d-0034 and d-0037 are Android devices whose enrollment is unknown.
ENROLLMENT = {
    "d-0006": "device_admin", "d-0007": "personal_work_profile", "d-0008": "corporate_work_profile",
    "d-0009": "fully_managed", "d-0010": "personal_work_profile", "d-0031": "device_admin", "d-0036": "dedicated",
    "d-0039": "dedicated", "d-0040": "aosp",
}
# Agents Intune does not act through (management `other`), named as Graph names them in every export.
OTHER_AGENTS = {"jamf", "configurationManagerClient"}
GRAPH_ENROLLMENT = {"dedicated": "androidEnterpriseDedicatedDevice", "fully_managed": "androidEnterpriseFullyManaged",
                    "corporate_work_profile": "androidEnterpriseCorporateWorkProfile"}

# A batch after a bad week: lost and stolen devices, forgotten passcodes. Its requests
# between them meet every verdict and reason code of RULES.md.
HELPDESK = "helpdesk@contoso.com"
BATCH = [
    ("r-01", "lock", "d-0001", "", "Lost on the train", HELPDESK, "INC-1001"),
    ("r-02", "remote_lock", "F2LXK0CCHG7F", "", "Stolen bag (serial number)", HELPDESK, "INC-1002"),
    ("r-03", "lock", "352099001761481", "", "Warehouse theft (IMEI)", "security@contoso.com", "INC-1003"),
    ("r-04", "resetPasscode", "d-0006", "device_id", "Scanner passcode forgotten", HELPDESK, "INC-1004"),
    ("r-05", "reset_passcode", "d-0007", "", "Passcode forgotten", HELPDESK, "INC-1005"),
    ("r-06", "lock", "jdoe@contoso.com", "user", "Jane's bag stolen: every device she uses", "security@contoso.com", "INC-1006"),
    ("r-07", "lock", "d-0004", "", "Laptop left in a taxi", HELPDESK, "INC-1007"),
    ("r-08", "lock", "d-0016", "", "Kiosk tablet missing", HELPDESK, "INC-1008"),
    ("r-09", "lock", "d-0017", "", "Shared tablet missing", HELPDESK, "INC-1009"),
    ("r-10", "lock", "d-0018", "", "Old tablet missing", HELPDESK, "INC-1010"),
    ("r-11", "lock", "d-0020", "", "Lab PC stolen", HELPDESK, "INC-1011"),
    ("r-12", "lock", "d-0024", "", "PC of unknown version stolen", HELPDESK, "INC-1012"),
    ("r-13", "lock", "d-0026", "", "Finance PC stolen", HELPDESK, "INC-1013"),
    ("r-14", "lock", "DUP-SERIAL-01", "", "Refurb phone lost", HELPDESK, "INC-1014"),
    ("r-15", "lock", "ghost-device-99", "", "Typo in the ticket", HELPDESK, "INC-1015"),
    ("r-16", "lock", "newhire@contoso.com", "", "New hire's phone (not enrolled yet)", HELPDESK, "INC-1016"),
    ("r-17", "wipe", "d-0001", "", "Wipe is not an action of mdmbatch", HELPDESK, "INC-1017"),
    ("r-18", "lock", "d-0033", "", "Loaner iPhone lost", HELPDESK, "INC-1018"),
    ("r-19", "lock", "d-0034", "", "Test phone lost", HELPDESK, "INC-1019"),
    ("r-20", "lock", "d-0035", "", "Drawer iPhone gone", HELPDESK, "INC-1020"),
    ("r-21", "passcode_reset", "d-0011", "", "Passcode forgotten", HELPDESK, "INC-1021"),
    ("r-22", "reset_passcode", "d-0013", "", "Passcode forgotten", HELPDESK, "INC-1022"),
    ("r-23", "reset_passcode", "d-0018", "", "Passcode forgotten", HELPDESK, "INC-1023"),
    ("r-24", "reset_passcode", "d-0001", "", "Passcode forgotten after the scare", HELPDESK, "INC-1024"),
    ("r-25", "lock", "d-0028", "", "Build server 'lost'", HELPDESK, "INC-1025"),
    ("r-26", "lock", "d-0038", "", "iPhone lost", HELPDESK, "INC-1026"),
    ("r-27", "lock", "d-0030", "", "Exec phone lost abroad", "ciso@contoso.com", "INC-1027"),
    ("r-28", "reset_passcode", "d-0019", "", "Reception PC passcode", HELPDESK, "INC-1028"),
    # what today's rules (intune-2025) tell apart
    ("r-29", "lock", "d-0039", "", "Kiosk taken off its stand", HELPDESK, "INC-1029"),
    ("r-30", "reset_passcode", "d-0040", "", "Terminal passcode forgotten", HELPDESK, "INC-1030"),
    ("r-31", "lock", "d-0041", "", "Vision Pro missing after the demo", HELPDESK, "INC-1031"),
    ("r-32", "lock", "d-0042", "", "Dev kit missing", HELPDESK, "INC-1032"),
    ("r-33", "lock", "d-0043", "", "Designer Mac stolen", "security@contoso.com", "INC-1033"),
    ("r-34", "reset_passcode", "d-0010", "", "Work profile passcode forgotten", HELPDESK, "INC-1034"),
    ("r-35", "lock", "d-0010", "", "Personal phone lost (work profile)", HELPDESK, "INC-1035"),
    ("r-36", "reset_passcode", "d-0034", "", "Test phone passcode", HELPDESK, "INC-1036"),
]

INTUNE_MANAGED_BY = {"mdm": "Intune", "eas": "EAS", "eas_mdm": "MDM/EAS", "software_client": "Intune PC client", "": ""}
GRAPH_AGENT = {"mdm": "mdm", "eas": "eas", "eas_mdm": "easMdm", "software_client": "intuneClient", "": None}


def intune_managed_by(d):
    return d[6] if d[6] in OTHER_AGENTS else INTUNE_MANAGED_BY[d[6]]


def graph_agent(d):
    if d[6] in OTHER_AGENTS:
        return d[6]
    return "intuneAosp" if ENROLLMENT.get(d[0]) == "aosp" else GRAPH_AGENT[d[6]]


def write_csv(name, header, rows):
    with open(os.path.join(HERE, name), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main():
    write_csv("users.csv", ["upn", "display_name", "email", "department"], USERS)
    write_csv("devices.csv", ["device_id", "device_name", "serial_number", "imei", "platform", "os_version", "management",
                              "primary_user_upn", "enrolled_by_upn", "passcode_set", "last_check_in", "enrollment"],
              [d + (ENROLLMENT.get(d[0], ""),) for d in DEVICES])
    # The Intune admin center export: its own column names and order, extra columns, no passcode column.
    write_csv("devices-intune.csv",
              ["Device name", "Managed by", "Ownership", "Compliance", "OS", "OS version", "Last check-in",
               "Primary user UPN", "Primary user display name", "Device ID", "Serial number", "IMEI", "Enrolled by user UPN"],
              [(d[1], intune_managed_by(d), "Corporate", "Compliant", d[4], d[5], d[10].replace("T", " ").replace("Z", ""),
                d[7], next((u[1] for u in USERS if u[0] == d[7]), ""), d[0], d[2], d[3], d[8]) for d in DEVICES])
    write_csv("batch-lost.csv", ["request_id", "action", "target", "target_type", "reason", "requested_by", "ticket"], BATCH)
    graph = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#deviceManagement/managedDevices",
        "value": [{
            "id": d[0], "deviceName": d[1], "managedDeviceOwnerType": "company", "operatingSystem": d[4],
            "osVersion": d[5], "managementAgent": graph_agent(d), "userPrincipalName": d[7],
            "enrolledByUserPrincipalName": d[8], "serialNumber": d[2], "imei": d[3], "lastSyncDateTime": d[10],
            "complianceState": "compliant", "isEncrypted": True,
            "deviceEnrollmentType": GRAPH_ENROLLMENT.get(ENROLLMENT.get(d[0]), "userEnrollment"),
        } for d in DEVICES],
    }
    with open(os.path.join(HERE, "devices-graph.json"), "w", encoding="utf-8") as f:
        json.dump(graph, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
