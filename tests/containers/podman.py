"""Podman on this machine, without a registry: its settings, the Debian base image, the project's images.

No image registry is reachable here; Debian's podman, runc and debootstrap and the package mirror apt
uses are. So the base image is a Debian bookworm root file system made by `debootstrap --variant=minbase`
from that mirror and imported with `podman import`; the project's images build FROM it (their
BASE_IMAGE argument), installing Python from the same mirror and the wheels from PyPI.

Cached on the machine, so only a fresh machine pays for it: the root file system's tar under
KEPU_CONTAINER_CACHE (default ~/.cache/kepu/containers), the imported image and every build layer in
podman's own storage. A file lock keeps two runs from making the same thing at once.
"""
import fcntl
import os
import re
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITE = "bookworm"
BASE_IMAGE = f"localhost/kepu-debian:{SUITE}"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# the project's images: tag -> Dockerfile (all built from the repository root)
IMAGES = {
    "localhost/kepu:latest": "deploy/Dockerfile",
    "localhost/kepu-seaweedfs:latest": "deploy/seaweedfs.Dockerfile",
    "localhost/kepu-nginx:latest": "deploy/nginx.Dockerfile",
}
# what makes podman work here: no registry, a kernel and cgroup set-up where podman's default
# rlimits are refused (default_ulimits = []), runc rather than crun, no systemd to log events to
CONTAINERS_CONF = """\
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


def cache_dir():
    path = Path(os.environ.get("KEPU_CONTAINER_CACHE")
                or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kepu" / "containers")
    path.mkdir(parents=True, exist_ok=True)
    return path


def environment():
    conf = cache_dir() / "containers.conf"
    if not conf.exists() or conf.read_text() != CONTAINERS_CONF:
        conf.write_text(CONTAINERS_CONF)
    return dict(os.environ, CONTAINERS_CONF=str(conf))


def podman(*args, check=True, timeout=1800, capture=True, log=None):
    """One podman command with this machine's settings; its output in the error when it fails."""
    command = ["podman", "--runtime", "runc", *map(str, args)]
    result = subprocess.run(command, env=environment(), timeout=timeout, text=True,
                            stdout=log if log else subprocess.PIPE if capture else None,
                            stderr=subprocess.STDOUT if log or capture else None)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{(result.stdout or '')[-4000:]}")
    return result


def unavailable():
    """Why podman cannot run containers on this machine at all, or None when it can."""
    if shutil.which("podman") is None:
        return "podman is not installed (apt-get install podman runc debootstrap; .ci/run does)"
    if shutil.which("runc") is None and not Path("/usr/sbin/runc").exists():
        return "runc is not installed (apt-get install runc)"
    result = subprocess.run(["podman", "--runtime", "runc", "info"], env=environment(), capture_output=True,
                            text=True, timeout=120)
    if result.returncode != 0:
        return f"podman cannot run here: {result.stderr.strip()[-500:]}"
    return None


def apt_mirror(suite=SUITE):
    """The Debian mirror this machine's apt uses for `suite` (deb822 .sources or one-line lists)."""
    sources = sorted(Path("/etc/apt/sources.list.d").glob("*.sources")) + [Path("/etc/apt/sources.list")]
    sources += sorted(Path("/etc/apt/sources.list.d").glob("*.list"))
    for path in sources:
        if not path.exists():
            continue
        text = path.read_text()
        for stanza in re.split(r"\n\s*\n", text):
            fields = dict(re.findall(r"^(\w[\w-]*):\s*(.+)$", stanza, re.M))
            if suite in fields.get("Suites", "").split() and "deb" in fields.get("Types", "").split():
                for uri in fields.get("URIs", "").split():
                    if uri.rstrip("/").endswith("/debian"):
                        return uri.rstrip("/")
        for match in re.finditer(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s", text, re.M):
            if match.group(2) == suite and match.group(1).rstrip("/").endswith("/debian"):
                return match.group(1).rstrip("/")
    return DEFAULT_MIRROR


@contextmanager
def locked(name):
    with open(cache_dir() / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def image_exists(ref):
    return podman("image", "exists", ref, check=False).returncode == 0


def rootfs_tarball(log):
    """The minimal Debian root file system as a tar, made once per machine by debootstrap."""
    tarball = cache_dir() / f"debian-{SUITE}-minbase.tar"
    if tarball.exists():
        return tarball
    if shutil.which("debootstrap") is None and not Path("/usr/sbin/debootstrap").exists():
        raise RuntimeError("debootstrap is not installed (apt-get install debootstrap; .ci/run does)")
    target = cache_dir() / "rootfs.tmp"
    shutil.rmtree(target, ignore_errors=True)
    mirror = apt_mirror()
    started = time.monotonic()
    subprocess.run(["nice", "debootstrap", "--variant=minbase", SUITE, str(target), mirror], check=True,
                   stdout=log, stderr=subprocess.STDOUT, timeout=1800)
    # what the image needs is packages, not debootstrap's download cache or apt's lists
    for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for path in (target / leftover).glob("*"):
            if path.is_file():
                path.unlink()
    partial = tarball.with_suffix(".tar.part")
    subprocess.run(["tar", "-C", str(target), "--numeric-owner", "-cf", str(partial), "."], check=True,
                   stdout=log, stderr=subprocess.STDOUT)
    partial.rename(tarball)
    shutil.rmtree(target, ignore_errors=True)
    print(f"debootstrap {SUITE} from {mirror}: {time.monotonic() - started:.0f}s", file=log, flush=True)
    return tarball


def ensure_base_image(log):
    """localhost/kepu-debian:bookworm, imported from the cached root file system unless podman has it."""
    with locked("base"):
        if image_exists(BASE_IMAGE):
            return BASE_IMAGE
        tarball = rootfs_tarball(log)
        podman("import", "--change", 'CMD ["/bin/bash"]', tarball, BASE_IMAGE, log=log)
        return BASE_IMAGE


def ca_bundle():
    for candidate in (os.environ.get("PIP_CERT"), os.environ.get("REQUESTS_CA_BUNDLE"),
                      "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def build(tag, dockerfile, base, log):
    """Build one of the project's images from the repository as it is; returns the image's id.

    Build steps run on the host's network (the package mirror, PyPI); podman's layer cache makes a
    second build of an unchanged layer free."""
    iidfile = cache_dir() / f"{tag.replace('/', '_').replace(':', '_')}.{os.getpid()}.iid"
    # the CA bundle this machine trusts, for pip behind a TLS-inspecting proxy (a build secret: not in the image)
    secret = ["--secret", f"id=pip-ca,src={ca_bundle()}"] if ca_bundle() else []
    with locked("build"):
        podman("build", "--network", "host", "--layers", "--pull=never", "--build-arg", f"BASE_IMAGE={base}",
               *secret, "-f", ROOT / dockerfile, "-t", tag, "--iidfile", iidfile, ROOT, log=log)
    image_id = iidfile.read_text().strip()
    iidfile.unlink()
    return image_id


def build_all(log):
    base = ensure_base_image(log)
    built = {tag: build(tag, dockerfile, base, log) for tag, dockerfile in IMAGES.items()}
    # earlier builds' images, untagged since (each a code layer or two): the build cache itself stays, as the
    # current images' parents, and so do images a running container uses
    with locked("build"):
        podman("image", "prune", "--force", log=log, check=False)
    return built
