"""Fault drills (`make drills`; docs/deployment.md, "Fault drills").

Each drill starts what it breaks on its own (a private PostgreSQL cluster and a private
Redis on 127.0.0.1, on free ports, in a temporary folder, never the machine's shared
servers), does the work, breaks it, and prints what it did and what it found. The run
exits non-zero if a transaction or a notice was lost or doubled.

    .venv/bin/python -m scripts.drills [--scale N] [--only NAME ...]

Drills (one module each):
  postgres-restart  desk check-outs and kiosk check-ins from several threads while the
                    database restarts: each done once, or refused with a message and
                    done on the next scan; no double loan; service back with no restart
  redis-stop        Redis stopped: the desk and the portal keep working; the hold-ready
                    notice queued while it was down is sent once it is back
  worker-kill       the worker SIGKILLed while it sends a batch of overdue notices: after
                    the next run, every patron has exactly one notice (one Message-ID)

`servers` holds the private servers and the Django set-up of a drill's process; the
drills' modules import Django's models at their top, so they are imported only once
Django is set up, in the child process that runs one drill (`__main__.run_one`).
"""
