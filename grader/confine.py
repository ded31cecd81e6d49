"""The child's half of the sandbox: limits it puts on itself before running student code.

Runs inside the child after it has imported numpy and read the submission, and before the
submission's first line runs: from then on nothing can lift a hard limit or regain root.

What the child may touch is an allow-list, enforced by the kernel (Landlock): it reads the
interpreter and its libraries, reads and writes its workdir, and nothing else exists for it (not
the grader's tree, the batch folder, /tmp or other processes' /proc); it opens no TCP connection,
and signals no process outside its own descendants. As root it also gets namespaces of its own: its workdir is
a tmpfs of the rubric's size (what it writes vanishes with it) and it has no network interface.
"""

import ctypes
import os
import resource

UNPRIVILEGED_UID = UNPRIVILEGED_GID = 65534  # nobody / nogroup
CPU_BUDGET_SECONDS = 3600  # hard cap for the child's life; each check gets its own soft limit
DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")  # what numpy and the stdlib may open

CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x4000, 0x40000


def confine(limits, load_seconds, uid, workdir, readable):
    mib = 1024 * 1024
    hard(resource.RLIMIT_AS, limits["memory_mb"] * mib)
    hard(resource.RLIMIT_FSIZE, limits["file_size_mb"] * mib)
    hard(resource.RLIMIT_CORE, 0)
    resource.setrlimit(resource.RLIMIT_CPU, (int(load_seconds) + 1, CPU_BUDGET_SECONDS))
    root = os.geteuid() == 0
    if root:
        isolate(workdir, limits["disk_mb"], uid)
    restrict_filesystem(workdir, readable)
    if root:
        hard(resource.RLIMIT_NPROC, limits["processes"])  # counted per user, so only once not root
        os.setgroups([])
        os.setgid(UNPRIVILEGED_GID)
        os.setuid(uid)


def isolate(workdir, disk_mb, uid):
    """Namespaces of the child's own: its workdir a tmpfs of `disk_mb` (nothing written survives the
    child, and the whole of it is capped, not only each file), no network interface but loopback
    down. Without them (a container that forbids unshare) the Landlock rules still hold."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS | CLONE_NEWNET) != 0:
        return
    options = f"size={disk_mb}m,mode=0700,uid={uid},gid={UNPRIVILEGED_GID}".encode()
    if (
        libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) == 0  # our mounts stay ours
        and libc.mount(b"tmpfs", workdir.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options) == 0
    ):
        os.chdir(workdir)  # into the tmpfs, not the folder beneath it


def restrict_filesystem(workdir, readable):
    """The Landlock allow-list (best effort: the rights the kernel knows; none on a kernel without
    Landlock, which the parent tells in the report's notes)."""
    import landlockpy
    from landlockpy import AccessFS, Ruleset, Scope

    abi = landlockpy.abi_version()
    if abi == 0:
        return
    read = AccessFS.READ_FILE | AccessFS.READ_DIR | AccessFS.EXECUTE
    with Ruleset(scoped=Scope.SIGNAL | Scope.ABSTRACT_UNIX_SOCKET) as rules:  # every fs and net right handled
        for path in readable:
            rules.allow_path(path, read)
        for device in DEVICES:
            rules.allow_path(device, AccessFS.READ_FILE | AccessFS.WRITE_FILE)
        rules.allow_path(workdir, landlockpy.fs_for_abi(abi))
        rules.allow_path(f"/proc/{os.getpid()}", read)  # its own entries only, not its parent's or classmates'
        rules.restrict()


def allow_cpu(seconds):
    """Gives the next check `seconds` of CPU time from now (SIGXCPU past it)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    resource.setrlimit(resource.RLIMIT_CPU, (min(int(used + seconds) + 1, CPU_BUDGET_SECONDS), CPU_BUDGET_SECONDS))


def hard(limit, value):
    resource.setrlimit(limit, (value, value))
