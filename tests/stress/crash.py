#!/usr/bin/env python3
"""Crash trials: kill -9 dm-send and dm-inbox's take-in at random moments.

Each trial starts either a dm-send from alice to bob (half of them with
an attachment) or a take-in by bob, and kills it with SIGKILL after a
random delay. A send that exited 0 before the kill printed its id and
counts as reported sent. After all trials one final take-in runs
undisturbed, and then:

- every reported-sent message is in bob's mailbox and in alice's sent
  view, with the body and attachment it was sent with;
- no message appears twice (each trial's subject at most once);
- every listed message reads back and verifies (nothing half-written);
- both SQLite databases pass PRAGMA integrity_check.

The random seed is printed; pass --seed to repeat a run exactly.
"""

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--max-delay-ms", type=float, default=20.0,
                    help="kill after up to this long (take-ins: 0.8 times)")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)

    work = tempfile.mkdtemp(prefix="dm-crash.")
    try:
        return run(args, rng, seed, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def env_for(work, user):
    env = dict(os.environ)
    env.update(DM_SPOOL=os.path.join(work, "spool"), DM_USER=user,
               DM_HOME=os.path.join(work, "home", user), LC_ALL="C.UTF-8")
    env["PATH"] = os.path.join(TOP, "bin") + os.pathsep + env.get("PATH", "")
    return env


def run(args, rng, seed, work):
    alice, bob = env_for(work, "alice"), env_for(work, "bob")
    for env in (alice, bob):
        subprocess.run(["dm-init"], env=env, check=True, capture_output=True)

    attachment = os.path.join(work, "attachment.bin")
    with open(attachment, "wb") as f:
        f.write(os.urandom(200 * 1024))
    with open(attachment, "rb") as f:
        attachment_bytes = f.read()

    reported = {}          # trial -> id
    killed_sends = killed_takeins = finished_takeins = 0
    for trial in range(args.trials):
        delay = rng.uniform(0, args.max_delay_ms) / 1000.0
        if rng.random() < 0.7:
            cmd = ["dm-send", "-s", "trial %d" % trial, "-m", "body %d" % trial]
            if rng.random() < 0.5:
                cmd += ["-a", attachment]
            proc = subprocess.Popen(cmd + ["bob"], env=alice,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            out, err = proc.communicate()
            if proc.returncode == 0:
                reported[trial] = (out.decode().strip(), "-a" in cmd)
            elif proc.returncode == -signal.SIGKILL:
                killed_sends += 1
            else:
                print("crash: trial %d: dm-send exit %d: %s" % (trial, proc.returncode,
                      err.decode().strip()), file=sys.stderr)
                return 1
        else:
            proc = subprocess.Popen(["dm-inbox", "-c", "-A"], env=bob,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(delay * 0.8)
            proc.send_signal(signal.SIGKILL)
            out, err = proc.communicate()
            if proc.returncode == -signal.SIGKILL:
                killed_takeins += 1
            elif proc.returncode in (0, 1):
                finished_takeins += 1
            else:
                print("crash: trial %d: dm-inbox exit %d: %s" % (trial, proc.returncode,
                      err.decode().strip()), file=sys.stderr)
                return 1

    final = subprocess.run(["dm-inbox", "-A", "--json"], env=bob, capture_output=True)
    if final.returncode not in (0, 1) or final.stderr:
        print("crash: final take-in: exit %d: %s" % (final.returncode,
              final.stderr.decode().strip()), file=sys.stderr)
        return 1
    inbox = [json.loads(line) for line in final.stdout.decode().splitlines()]
    sent = subprocess.run(["dm-inbox", "--sent", "-A", "--format", "%i"], env=alice,
                          capture_output=True).stdout.decode().split()

    failures = []
    by_id = {m["id"]: m for m in inbox}
    subjects = [m["subject"] for m in inbox]
    if len(subjects) != len(set(subjects)):
        failures.append("a trial's message appears twice")
    for trial, (mid, with_attachment) in reported.items():
        if mid not in by_id:
            failures.append("trial %d: reported sent %s but not in bob's mailbox" % (trial, mid))
        if mid not in sent:
            failures.append("trial %d: reported sent %s but not in alice's sent view" % (trial, mid))
    for m in inbox:
        body = subprocess.run(["dm-read", "-N", "--body", m["id"]], env=bob, capture_output=True)
        trial = int(m["subject"].split()[1])
        if body.returncode != 0 or body.stdout != b"body %d" % trial:
            failures.append("message %s does not read back: %s" % (m["id"], body.stderr.decode().strip()))
        if m["attachments"]:
            data = subprocess.run(["dm-attach", m["id"], "1"], env=bob, capture_output=True)
            if data.returncode != 0 or data.stdout != attachment_bytes:
                failures.append("attachment of %s does not read back" % m["id"])
    for user in ("alice", "bob"):
        db = os.path.join(work, "spool", "users", user, "mailbox.db")
        result = sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            failures.append("%s's mailbox: integrity_check: %s" % (user, result))

    print("crash: seed %d: %d trials: %d sends reported sent, %d sends killed, "
          "%d take-ins killed, %d take-ins finished; %d messages in bob's mailbox, "
          "all verified" % (seed, args.trials, len(reported), killed_sends,
                            killed_takeins, finished_takeins, len(inbox)))
    for f in failures:
        print("crash: FAILED: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
