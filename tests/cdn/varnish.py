"""The repo's VCL (deploy/varnish/pivotdesk.vcl) in a real ``varnishd`` on a free loopback
port, its backend pointed at a gunicorn of ours. Started and stopped by pid."""

import shutil
from pathlib import Path

from tests.faults.servers import BASE_DIR, LoopbackServer

VCL = BASE_DIR / "deploy" / "varnish" / "pivotdesk.vcl"
VARNISHD = shutil.which("varnishd") or (
    "/usr/sbin/varnishd" if Path("/usr/sbin/varnishd").exists() else None
)


def vcl_for(*, backend_port: int) -> str:
    """The repo's VCL with its backend on ``backend_port`` (the only line that differs)."""
    text = VCL.read_text()
    assert '.port = "8000";' in text
    return text.replace('.port = "8000";', f'.port = "{backend_port}";')


class Varnish(LoopbackServer):
    name = "varnishd"
    probe = "/healthz"
    # A 503 until its health probe has seen the origin answer: tests start after that.
    ready_statuses = frozenset({200})
    start_timeout = 60

    def __init__(self, *, backend_port: int, workdir: Path):
        super().__init__(workdir / "varnishd.log")
        self.workdir = workdir
        self.backend_port = backend_port

    def command(self) -> list[str]:
        vcl = self.workdir / "pivotdesk.vcl"
        vcl.write_text(vcl_for(backend_port=self.backend_port))
        return [VARNISHD, "-F", "-j", "none", "-n", str(self.workdir / "n"),
                "-a", f"127.0.0.1:{self.port}", "-T", "none", "-f", str(vcl),
                "-s", "malloc,64m", "-p", "default_ttl=300"]  # fmt: skip
