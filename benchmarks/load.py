"""Driving the server: wrk for load (127.0.0.1 only), http.client for single requests and logging in."""
import gzip
import http.client
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

LUA_POST = Path(__file__).resolve().parent / "lua" / "post.lua"
CSRF_PATTERN = re.compile(r'"X-CSRFToken": "([^"]+)"')  # a member's page: the token htmx sends
FORM_TOKEN_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')  # the login form's own
HOST = "127.0.0.1"  # the only address the benchmark ever sends to
WRK_THREADS, WRK_CONNECTIONS = 2, 16
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def gzip_bytes(self) -> int:
        return len(gzip.compress(self.body, compresslevel=6))  # what a reverse proxy's default gzip would send

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def request(port: int, method: str, path: str, headers: dict | None = None, body: bytes | None = None,
            connection: http.client.HTTPConnection | None = None) -> Reply:
    """One request to the server on 127.0.0.1 (on a kept-alive connection when given one)."""
    own = connection is None
    connection = connection or http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        if own:
            connection.close()


@dataclass
class Member:
    """A logged-in member as a browser holds one: the session cookie and the page's CSRF token."""

    username: str
    cookies: dict = field(default_factory=dict)
    token: str = ""

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def remember(self, reply: Reply) -> None:
        for header in reply.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value

    def get(self, port: int, path: str, connection=None) -> Reply:
        reply = request(port, "GET", path, {"Cookie": self.cookie_header}, connection=connection)
        self.remember(reply)
        return reply

    def post_form(self, port: int, path: str, fields: dict, connection=None) -> Reply:
        body = urlencode({**fields, "csrf_token": self.token}).encode()
        headers = {"Cookie": self.cookie_header, "Content-Type": "application/x-www-form-urlencoded"}
        reply = request(port, "POST", path, headers, body, connection=connection)
        self.remember(reply)
        return reply


def log_in(port: int, username: str, password: str) -> Member:
    """Log in through the live server's form, then read the token the next page carries (login starts a new session)."""
    member = Member(username)
    page = member.get(port, "/login")
    member.token = FORM_TOKEN_PATTERN.search(page.text()).group(1)
    reply = member.post_form(port, "/login", {"username": username, "password": password})
    if reply.status != 303:
        raise RuntimeError(f"logging in as {username} answered {reply.status}: {reply.text()[:300]}")
    page = member.get(port, "/")
    member.token = CSRF_PATTERN.search(page.text()).group(1)
    return member


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(port: int, path: str, seconds: float, headers: dict | None = None,
            lua_args: list[str] | None = None) -> dict:
    """wrk -t2 -c16 for `seconds` against one path; POSTs go through benchmarks/lua/post.lua."""
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency",
               "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if lua_args:
        command += ["-s", str(LUA_POST)]
    command.append(f"http://{HOST}:{port}{path}")
    if lua_args:
        command += ["--", *lua_args]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if finished.returncode != 0:
        raise RuntimeError(f"wrk failed ({finished.returncode}): {finished.stderr or finished.stdout}")
    return parse_wrk(finished.stdout)


def parse_wrk(output: str) -> dict:
    """requests/s, p50/p99 (ms), request count, non-2xx/3xx count and socket errors from wrk --latency."""

    def milliseconds(value: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
        return float(number) * UNITS_MS[unit]

    percentiles = {int(p): milliseconds(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.M)}
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": round(percentiles[50], 2),
        "p99_ms": round(percentiles[99], 2),
        "requests": int(total.group(1)),
        "non_2xx_3xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": dict(zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()))) if sockets else {},
    }
