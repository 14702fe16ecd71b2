"""Known vulnerabilities in the pinned requirements (``make audit``).

Runs pip-audit over ``requirements/base.txt`` and ``requirements/dev.txt``:
the pins as written, looked up without installing anything. Exit status
and output:

- 1 and the vulnerable pins, when an advisory service reports any;
- 0 and ``skipped: ...`` when no advisory service could be asked about the
  pins (no network, or a service that knows none of them), so that
  ``make test`` still runs offline, saying plainly that nothing was checked;
- 0 and ``no known vulnerabilities ...`` otherwise.

Services are tried in order (PyPI, then OSV); the first that audits at least
one pin decides.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = [ROOT / "requirements" / "base.txt", ROOT / "requirements" / "dev.txt"]
SERVICES = ("pypi", "osv")


class Unreachable(Exception):
    """The advisory service could not be asked about the pins."""


def pip_audit(requirements: list[Path], service: str, osv_url: str | None) -> dict:
    """pip-audit's JSON report for ``requirements`` from ``service``."""
    command = [sys.executable, "-m", "pip_audit", "--format", "json"]
    command += ["--no-deps", "--disable-pip", "--progress-spinner", "off"]
    command += ["--vulnerability-service", service, "--timeout", "10"]
    if osv_url:
        command += ["--osv-url", osv_url]
    for path in requirements:
        command += ["--requirement", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        lines = result.stderr.strip().splitlines() or [f"exit {result.returncode}"]
        raise Unreachable(lines[-1]) from None


def audited(report: dict) -> list[dict]:
    """The dependencies the service actually looked up."""
    return [d for d in report["dependencies"] if "skip_reason" not in d]


def summary(report: dict, service: str) -> tuple[int, list[str]]:
    """Exit status and lines to print for a report that audited something."""
    checked = audited(report)
    vulnerable = [d for d in checked if d["vulns"]]
    lines = [
        f"not audited ({service}): {d['name']} {d.get('version', '')}".rstrip()
        for d in report["dependencies"]
        if "skip_reason" in d
    ]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixes = ", ".join(vuln["fix_versions"]) or "none yet"
            lines.append(
                f"VULNERABLE: {dependency['name']}=={dependency['version']} "
                f"{vuln['id']} (fixed in: {fixes})"
            )
    if vulnerable:
        return 1, lines
    lines.append(
        f"no known vulnerabilities in {len(checked)} pinned packages ({service})"
    )
    return 0, lines


def audit(requirements: list[Path], services, osv_url: str | None) -> int:
    reasons = []
    for service in services:
        try:
            report = pip_audit(requirements, service, osv_url)
        except Unreachable as error:
            reasons.append(f"{service}: {error}")
            continue
        if not audited(report):
            count = len(report["dependencies"])
            reasons.append(f"{service}: none of {count} pinned packages found")
            continue
        status, lines = summary(report, service)
        print("\n".join(lines))
        return status
    print("skipped: no advisory database could be asked (" + "; ".join(reasons) + ")")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "requirements",
        nargs="*",
        type=Path,
        default=REQUIREMENTS,
        help="requirements files (default: requirements/base.txt and dev.txt)",
    )
    parser.add_argument(
        "--services",
        default=",".join(SERVICES),
        help="advisory services to try in order (default: pypi,osv)",
    )
    parser.add_argument("--osv-url", help="OSV query URL instead of api.osv.dev")
    args = parser.parse_args(argv)
    return audit(args.requirements, args.services.split(","), args.osv_url)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
