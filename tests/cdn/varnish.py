"""The repo's VCL (deploy/varnish/pivotdesk.vcl) in a real ``varnishd`` on a free loopback
port, its backend pointed at a gunicorn of ours. Started and stopped by pid."""

import shutil
import subprocess
from pathlib import Path

import requests

from tests.faults.servers import BASE_DIR, free_port, wait_for

VCL = BASE_DIR / "deploy" / "varnish" / "pivotdesk.vcl"
VARNISHD = shutil.which("varnishd") or (
    "/usr/sbin/varnishd" if Path("/usr/sbin/varnishd").exists() else None
)


def vcl_for(*, backend_port: int) -> str:
    """The repo's VCL with its backend on ``backend_port`` (the only line that differs)."""
    text = VCL.read_text()
    assert '.port = "8000";' in text
    return text.replace('.port = "8000";', f'.port = "{backend_port}";')


class Varnish:
    def __init__(self, *, backend_port: int, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.backend_port = backend_port
        self.proc = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _answers(self) -> bool:
        try:
            requests.get(self.base_url + "/healthz", timeout=1)
            return True
        except requests.RequestException:
            return False

    def __enter__(self):
        vcl = self.workdir / "pivotdesk.vcl"
        vcl.write_text(vcl_for(backend_port=self.backend_port))
        self.log_path = self.workdir / "varnishd.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in __exit__
        self.proc = subprocess.Popen(
            [VARNISHD, "-F", "-j", "none", "-n", str(self.workdir / "n"),
             "-a", f"127.0.0.1:{self.port}", "-T", "none", "-f", str(vcl),
             "-s", "malloc,64m", "-p", "default_ttl=300"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_for(
                lambda: self.proc.poll() is not None or self._answers(),
                timeout=60,
                what="varnishd answering",
            )
        except TimeoutError:
            self.__exit__()
            raise
        if self.proc.poll() is not None:
            self.log.close()
            raise RuntimeError(f"varnishd exited:\n{self.log_path.read_text()[-4000:]}")
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()

    def get(self, path: str, **kwargs):
        kwargs.setdefault("timeout", 10)
        return requests.get(self.base_url + path, allow_redirects=False, **kwargs)

    def logs(self) -> str:
        self.log.flush()
        return self.log_path.read_text()[-4000:]
