"""README.md and docs/deploy.md, followed literally: their commands run, their proxy examples load."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import running_in_ci

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DEPLOY = ROOT / "docs" / "deploy.md"
COMMANDS_MARKER = "<!-- docs-commands:"


def fenced_blocks(path: Path, language: str) -> list[str]:
    """The fenced code blocks of one language in a Markdown file, indentation removed."""
    pattern = re.compile(rf"^( *)```{language}\n(.*?)^\1```$", re.M | re.S)
    return [re.sub(rf"^{indent}", "", body, flags=re.M) for indent, body in pattern.findall(path.read_text())]


def tool(name: str) -> str:
    """The tool's path; a failure in CI (`make test` installs it), a skip elsewhere."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found:
        return found
    if running_in_ci():
        pytest.fail(f"{name} is required in CI (make test installs it with apt-get)", pytrace=False)
    pytest.skip(f"{name} is not installed (make proxies installs it)")


def test_the_nginx_example_loads(tmp_path):
    nginx = tool("nginx")
    [example] = fenced_blocks(DEPLOY, "nginx")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=board.example.org",
                    "-keyout", tmp_path / "privkey.pem", "-out", tmp_path / "fullchain.pem"], check=True, capture_output=True)
    # Only the certificate paths change: the test's own self-signed pair stands in for Let's Encrypt's.
    server = re.sub(r"/etc/letsencrypt/live/board\.example\.org/", f"{tmp_path}/", example)
    assert server != example
    (tmp_path / "reelboard.conf").write_text(server)
    temp = "".join(f"{kind}_temp_path {tmp_path}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n{temp}access_log off;\ninclude {tmp_path}/reelboard.conf;\n}}\n"
    )
    checked = subprocess.run([nginx, "-t", "-c", tmp_path / "nginx.conf", "-e", tmp_path / "error.log"],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0 and "test is successful" in checked.stderr, checked.stderr
    # The port a visitor typed must reach the board, or its Referer check refuses every login.
    assert "proxy_set_header Host $http_host;" in example and "$host;" not in example


def test_the_caddy_example_loads(tmp_path):
    caddy = tool("caddy")
    [example] = fenced_blocks(DEPLOY, "caddyfile")
    (tmp_path / "Caddyfile").write_text(example)
    home = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    checked = subprocess.run([caddy, "validate", "--config", tmp_path / "Caddyfile", "--adapter", "caddyfile"],
                             capture_output=True, text=True, timeout=30, env={**os.environ, **home})
    assert checked.returncode == 0 and "Valid configuration" in checked.stdout + checked.stderr, checked.stderr
    assert "header_up Host" not in example  # Caddy passes the original Host, port included


def administration_commands() -> list[str]:
    """The README's administration block, one command a line, comments removed."""
    text = README.read_text()
    block = text[text.index(COMMANDS_MARKER):]
    commands = re.search(r"```sh\n(.*?)```", block, re.S).group(1)
    return [line.split("  #")[0].strip() for line in commands.splitlines() if line.strip()]


def copy_of_the_repository(destination: Path) -> Path:
    """The clone as git has it, with its own instance/ and the repository's .venv (its packages, not its data)."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination / name)  # copy2 keeps the times: make sees .venv as up to date
    (destination / ".venv").symlink_to(ROOT / ".venv")
    return destination


def test_the_readme_administration_commands_work_as_written(tmp_path):
    """Each command of the README's block, run by bash in a copy of the repository (never this one's instance/)."""
    if not (ROOT / ".venv" / ".installed").exists():  # make test creates it; pytest run another way may not have
        if running_in_ci():
            pytest.fail("the repository's .venv is missing: run the suite through make test", pytrace=False)
        pytest.skip("run through make test: the commands use the repository's .venv")
    clone = copy_of_the_repository(tmp_path / "clone")
    (clone / "secret.txt").write_text("a password from a file\n")
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("BOARD_", "MAKEFLAGS", "MFLAGS"))}
    # Never reinstall into the shared .venv from the copy, whatever the file times say.
    environment["MAKEFLAGS"] = "-o .venv/.installed"
    answers = {"make admin": "a long admin password\na long admin password\n", "make remove-demo": "y\n",
               "make restore": "y\n"}
    commands = administration_commands()
    assert [command.split()[:2] for command in commands[:5]] == [
        ["make", "setup"], ["make", "admin"], ["make", "remove-demo"], ["make", "backup"], ["make", "restore"]]
    backup = None
    outputs = {}
    for command in commands:
        if command.startswith("make restore"):
            command = re.sub(r"FILE=\S+", f"FILE={backup.relative_to(clone)}", command)  # the backup just taken
        done = subprocess.run(["bash", "-c", command], cwd=clone, env=environment, capture_output=True, text=True,
                              input=next((text for start, text in answers.items() if command.startswith(start)), ""),
                              timeout=120)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        outputs[command.split("#")[0].strip()] = done.stdout
        if command.startswith("make backup"):
            [backup] = (clone / "instance" / "backups").glob("board-*.db")
    assert "Sign in as the demo admin" in outputs["make setup"]
    assert "yourname is an admin." in outputs["make admin NAME=yourname"]
    assert "Removed the demo board" in outputs["make remove-demo"]
    assert (clone / "instance" / "config.py").exists() and (clone / "instance" / "board.db").exists()
    assert "remove-demo" in outputs[".venv/bin/flask --app board --help"]
