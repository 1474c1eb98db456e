"""deploy/nginx/gigsta.conf as compose mounts it (upstream `web:8000`), not only the rendered copy."""

import os
import shlex
import shutil
import subprocess

import pytest

from deploy.processes import ROOT
from tests.stack.topology import NGINX_CONF


def test_compose_form_of_the_config_passes_nginx_t(stack, tmp_path):
    """nginx -t on the file exactly as compose mounts it, with `web` resolving in a private /etc/hosts."""
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or not unshare:
        pytest.skip("needs root and unshare(1) to give `web` an address; the rendered copy was tested")
    here = tmp_path
    (here / "hosts").write_text("127.0.0.1 localhost\n192.0.2.10 web\n")
    # The http{} of the official nginx image, which includes conf.d/*.conf.
    (here / "nginx.conf").write_text(
        f"""pid {here}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format main '$remote_addr - $remote_user [$time_local] "$request" $status';
    access_log {here}/access.log main;
    sendfile on;
    keepalive_timeout 65;
    include {NGINX_CONF};
}}
"""
    )
    mount = shlex.join(["mount", "--bind", f"{here}/hosts", "/etc/hosts"])
    check = shlex.join(
        [stack.nginx, "-t", "-q", "-p", f"{here}/", "-e", f"{here}/error.log", "-c", f"{here}/nginx.conf"]
    )
    result = subprocess.run(
        [unshare, "--mount", "sh", "-c", f"{mount} && exec {check}"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0 and "mount" in result.stderr and "nginx" not in result.stderr:
        pytest.skip(f"cannot make a private /etc/hosts here: {result.stderr.strip()[:200]}")
    relative = NGINX_CONF.relative_to(ROOT)
    assert result.returncode == 0, f"nginx -t on {relative} as compose mounts it: {result.stderr.strip()}"
