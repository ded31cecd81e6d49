"""The child's half of the sandbox: limits it puts on itself before running student code.

Runs inside the child after it has imported numpy and read the submission, and before the
submission's first line runs: from then on nothing can lift a hard limit or regain root.
"""
import os
import resource

UNPRIVILEGED_UID = UNPRIVILEGED_GID = 65534  # nobody / nogroup
CPU_BUDGET_SECONDS = 3600  # hard cap for the child's life; each check gets its own soft limit


def confine(limits, load_seconds, uid):
    mib = 1024 * 1024
    hard(resource.RLIMIT_AS, limits["memory_mb"] * mib)
    hard(resource.RLIMIT_FSIZE, limits["file_size_mb"] * mib)
    hard(resource.RLIMIT_CORE, 0)
    resource.setrlimit(resource.RLIMIT_CPU, (int(load_seconds) + 1, CPU_BUDGET_SECONDS))
    if os.geteuid() == 0:
        hard(resource.RLIMIT_NPROC, limits["processes"])  # counted per user, so only once not root
        os.setgroups([])
        os.setgid(UNPRIVILEGED_GID)
        os.setuid(uid)


def allow_cpu(seconds):
    """Gives the next check `seconds` of CPU time from now (SIGXCPU past it)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    resource.setrlimit(resource.RLIMIT_CPU, (min(int(used + seconds) + 1, CPU_BUDGET_SECONDS), CPU_BUDGET_SECONDS))


def hard(limit, value):
    resource.setrlimit(limit, (value, value))
