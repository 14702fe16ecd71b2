"""``make audit`` (scripts/audit.py) runs the real pip-audit: a reported
vulnerability fails it, an unreachable advisory database is a clear skip.
The advisory database here is a small server speaking OSV's query API, so
the outcome does not depend on this machine's network."""

import json
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VULNERABLE = "fraud-audit-probe"

pytestmark = pytest.mark.fresh_process


class OsvHandler(BaseHTTPRequestHandler):
    """Answers OSV queries: one advisory for VULNERABLE below 2.0."""

    def do_POST(self):
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        name = query["package"]["name"]
        vulns = []
        if name == VULNERABLE and query["version"].startswith("1."):
            vulns.append(
                {
                    "id": "PYSEC-0000-1",
                    "summary": "test advisory",
                    "affected": [
                        {
                            "package": {"name": name, "ecosystem": "PyPI"},
                            "ranges": [
                                {
                                    "type": "ECOSYSTEM",
                                    "events": [{"introduced": "0"}, {"fixed": "2.0"}],
                                }
                            ],
                        }
                    ],
                }
            )
        body = json.dumps({"vulns": vulns} if vulns else {}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def osv_url():
    server = HTTPServer(("127.0.0.1", 0), OsvHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1/query"
    server.shutdown()
    server.server_close()


def audit(tmp_path, pins: str, osv_url: str) -> subprocess.CompletedProcess:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(pins)
    return subprocess.run(
        [sys.executable, "scripts/audit.py", str(requirements)]
        + ["--services", "osv", "--osv-url", osv_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_known_vulnerability_fails_the_audit(tmp_path, osv_url):
    result = audit(tmp_path, f"{VULNERABLE}==1.5\nsix==1.17.0\n", osv_url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"VULNERABLE: {VULNERABLE}==1.5 PYSEC-0000-1 (fixed in: 2.0)" in (
        result.stdout
    )


def test_pins_without_advisories_pass(tmp_path, osv_url):
    result = audit(tmp_path, f"{VULNERABLE}==2.1\nsix==1.17.0\n", osv_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no known vulnerabilities in 2 pinned packages (osv)" in result.stdout


def test_an_unreachable_advisory_database_is_a_clear_skip(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/v1/query"
    result = audit(tmp_path, f"{VULNERABLE}==1.5\n", closed)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("skipped: no advisory database could be asked")
    assert "osv:" in result.stdout


def test_the_project_pins_are_audited_or_skipped_never_silently_passed():
    """Over the real requirements and services: either a verdict on named
    packages or the skip line, never an empty success."""
    result = subprocess.run(
        [sys.executable, "scripts/audit.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(("skipped:", "no known vulnerabilities", "VULNERABLE:"))
    if result.returncode:
        assert "VULNERABLE:" in result.stdout
