#!/usr/bin/env python3
"""Writes N canonical device rows (CSV) to stdout, deterministic for a given N and seed.

    python3 bench/gen_devices.py 1000000 > devices.csv
    python3 bench/gen_devices.py 1000000 --renamed > devices-changed.csv

With --renamed, the same devices with every other one (odd index) renamed: re-imported over the
first file, half the rows are updated and half unchanged.
"""
import random, sys

PLATFORMS = [("iOS", "17.2"), ("iPadOS", "17.1"), ("Android", "13"), ("Android", "6.0.1"), ("Windows", "10.0.19045.3803"),
             ("macOS", "14.2"), ("Windows 10 Mobile", "10.0.15063.850"), ("Windows Phone", "8.10.14219.341"),
             ("Windows RT", "6.3.9600"), ("Windows 8.1", "6.3.9600"), ("Linux", "6.5.0")]
MANAGEMENT = ["mdm", "mdm", "mdm", "eas", "eas_mdm", "software_client", ""]


def main():
    args = [a for a in sys.argv[1:] if a != "--renamed"]
    renamed = "--renamed" in sys.argv[1:]
    n = int(args[0])
    rng = random.Random(int(args[1]) if len(args) > 1 else 42)
    out = sys.stdout
    out.write("device_id,device_name,serial_number,imei,platform,os_version,management,primary_user_upn,"
              "enrolled_by_upn,passcode_set,last_check_in\n")
    users = max(1, n // 3)
    buf = []
    for i in range(n):
        platform, version = PLATFORMS[rng.randrange(len(PLATFORMS))]
        user = "user%07d@contoso.com" % rng.randrange(users)
        enrolled = user if rng.random() < 0.9 else "admin%03d@contoso.com" % rng.randrange(100)
        passcode = ("true", "false", "")[rng.randrange(3)]
        day = 1 + rng.randrange(28)
        name = "Device %d" % i if i % 50 else '"Device %d, ""spare"""' % i
        if renamed and i % 2:
            name = "Device %d (renamed)" % i
        buf.append("d-%08d,%s,SN%010d,%015d,%s,%s,%s,%s,%s,%s,2026-%02d-%02dT08:%02d:00Z\n" % (
            i, name, i, 350000000000000 + i, platform, version, MANAGEMENT[rng.randrange(len(MANAGEMENT))],
            user, enrolled, passcode, 1 + rng.randrange(11), day, rng.randrange(60)))
        if len(buf) >= 10000:
            out.write("".join(buf))
            buf = []
    out.write("".join(buf))


if __name__ == "__main__":
    main()
