#!/usr/bin/env python3
"""Writes a batch of N requests (CSV) against the fleet of `gen_devices.py DEVICES`,
deterministic for given N, DEVICES and seed; with --users-out FILE also writes the users
CSV (every device user, plus users without devices).

    python3 bench/gen_batch.py 1000000 1000000 --users-out users.csv > batch.csv

Mix: device ids 60 %, serials 10 %, IMEIs 6 %, user UPNs 6 % (with and without
target_type), unknown targets 3 %, users without devices 1 %, unknown actions 1 %, the
rest device ids with aliases of the actions. Repeats of (action, device) occur by chance.
"""
import argparse, random, sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("requests", type=int)
    parser.add_argument("devices", type=int)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--users-out")
    args = parser.parse_args()
    n, devices = args.requests, args.devices
    users = max(1, devices // 3)  # as gen_devices.py
    lonely = max(1, users // 100)
    rng = random.Random(args.seed)

    if args.users_out:
        with open(args.users_out, "w") as f:
            f.write("upn,display_name,email,department\n")
            for i in range(users):
                f.write("user%07d@contoso.com,User %d,user%07d@contoso.com,Dept %d\n" % (i, i, i, i % 40))
            for i in range(lonely):
                f.write("lonely%07d@contoso.com,Lonely %d,,\n" % (i, i))

    out = sys.stdout
    out.write("request_id,action,target,target_type,reason,requested_by,ticket\n")
    buf = []
    for i in range(n):
        action = "lock" if rng.random() < 0.6 else "reset_passcode"
        target_type = ""
        roll = rng.random()
        d = rng.randrange(devices)
        if roll < 0.60:
            target = "d-%08d" % d
        elif roll < 0.70:
            target = "SN%010d" % d
        elif roll < 0.76:
            target = "%015d" % (350000000000000 + d)
        elif roll < 0.82:
            target = "user%07d@contoso.com" % rng.randrange(users)
            target_type = "user" if rng.random() < 0.5 else ""
        elif roll < 0.85:
            target = "x-%08d" % d
        elif roll < 0.86:
            target = "lonely%07d@contoso.com" % rng.randrange(lonely)
        elif roll < 0.87:
            action = "wipe"
            target = "d-%08d" % d
        else:
            action = {"lock": "remote_lock", "reset_passcode": "resetPasscode"}[action]
            target = "d-%08d" % d
        buf.append("r-%08d,%s,%s,%s,Lost device %d,helpdesk@contoso.com,INC-%d\n"
                   % (i, action, target, target_type, i, 100000 + i % 5000))
        if len(buf) >= 10000:
            out.write("".join(buf))
            buf = []
    out.write("".join(buf))


if __name__ == "__main__":
    main()
