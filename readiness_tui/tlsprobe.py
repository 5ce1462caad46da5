"""TCP and TLS probes (asyncio + ssl; cryptography reads the details of untrusted certificates).

`probe_tls` tries a verifying handshake (system CAs + `Settings.ca_bundle`); when verification
fails it says why in words (OpenSSL verify codes: 18 self-signed, 10 expired,
62 hostname mismatch, 64 IP address mismatch) and fetches the certificate again without verification to show its subject,
issuer, names and expiry. A server that answers plain HTTP on the TLS port is recognised as such.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from readiness_tui.http import ssl_context
from readiness_tui.values import placeholder_host

if TYPE_CHECKING:
    from readiness_tui.settings import Settings

#: OpenSSL verify codes we explain (X509_V_ERR_*).
SELF_SIGNED = (18, 19)
EXPIRED = 10
NOT_YET_VALID = 9
HOSTNAME_MISMATCH = (62, 64)
UNTRUSTED = (2, 20, 21)

#: Protocols older than this fail (TLS 1.0/1.1 are deprecated, RFC 8996).
WEAK_PROTOCOLS = {"SSLv3", "TLSv1", "TLSv1.1"}


@dataclass
class Connect:
    """Outcome of a TCP connect."""

    host: str
    port: int
    ok: bool
    ms: float
    kind: str = ""
    """refused, timeout, dns, other."""
    error: str = ""

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {"target": f"{self.host}:{self.port}", "connected": self.ok, "ms": round(self.ms, 1)}
        if self.error:
            out["error"] = self.error
        return out


def _os_error(exc: BaseException) -> tuple[str, str]:
    import socket

    if isinstance(exc, ConnectionRefusedError):
        return "refused", "connection refused (nothing listens there, or a firewall rejects it)"
    if isinstance(exc, socket.gaierror):
        return "dns", f"host name not found ({exc.strerror or exc})"
    if isinstance(exc, TimeoutError):
        return "timeout", "no answer to the connection attempt (filtered by a firewall, or host down)"
    return "other", f"{type(exc).__name__}: {exc}"


async def tcp_connect(host: str, port: int, timeout: float) -> Connect:
    """Open and close a TCP connection, within `timeout` seconds (never to a template placeholder host)."""
    if placeholder_host(host) is not None:
        return Connect(host, port, False, 0.0, "placeholder", f"not probed: {host} is a template placeholder")
    started = time.perf_counter()
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError) as exc:
        kind, error = _os_error(exc)
        return Connect(host, port, False, (time.perf_counter() - started) * 1000, kind, error)
    ms = (time.perf_counter() - started) * 1000
    writer.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(writer.wait_closed(), 1)
    return Connect(host, port, True, ms)


@dataclass
class TlsReport:
    """What a TLS handshake showed."""

    host: str
    port: int
    kind: str = "ok"
    """ok, self_signed, expired, not_yet_valid, wrong_host, untrusted, plain_http, handshake, refused,
    timeout, dns, other."""
    reason: str = ""
    verify_code: int | None = None
    protocol: str | None = None
    cipher: str | None = None
    subject: str = ""
    issuer: str = ""
    names: list[str] = field(default_factory=list)
    not_after: str = ""
    days_left: float | None = None
    self_signed: bool = False
    ms: float = 0.0

    @property
    def verified(self) -> bool:
        return self.kind == "ok"

    @property
    def reached(self) -> bool:
        """True when the host answered at all (a bad certificate is an answer)."""
        return self.kind not in ("refused", "timeout", "dns", "other")

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {"target": f"{self.host}:{self.port}", "verified": self.verified, "ms": round(self.ms, 1)}
        for key in ("reason", "verify_code", "protocol", "cipher", "subject", "issuer", "not_after"):
            value = getattr(self, key)
            if value:
                out[key] = value
        if self.names:
            out["names"] = self.names
        if self.days_left is not None:
            out["days_left"] = round(self.days_left, 1)
        if self.self_signed:
            out["self_signed"] = True
        return out


def _name(name: Any) -> str:
    from cryptography.x509.oid import NameOID

    cns = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return f"CN={cns[0].value}" if cns else name.rfc4514_string()


def describe_cert(der: bytes, report: TlsReport) -> None:
    """Fill subject, issuer, names and expiry from a DER certificate (cryptography)."""
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return
    report.subject = _name(cert.subject)
    report.issuer = _name(cert.issuer)
    report.self_signed = cert.subject == cert.issuer
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        report.names = [str(n) for n in san.get_values_for_type(x509.DNSName)] + [
            str(ip) for ip in san.get_values_for_type(x509.IPAddress)
        ]
    except x509.ExtensionNotFound:
        report.names = []
    expires = cert.not_valid_after_utc
    report.not_after = expires.isoformat()
    report.days_left = (expires - datetime.now(UTC)).total_seconds() / 86400


async def _handshake(host: str, port: int, ctx: ssl.SSLContext, timeout: float) -> tuple[bytes, str | None, str | None]:
    """(DER certificate, protocol, cipher) of one handshake; raises on failure."""
    _, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, ssl=ctx, server_hostname=host, ssl_handshake_timeout=timeout), timeout
    )
    try:
        sslobj = writer.get_extra_info("ssl_object")
        der = sslobj.getpeercert(binary_form=True) or b""
        cipher = sslobj.cipher()
        return der, sslobj.version(), cipher[0] if cipher else None
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), 1)


async def _speaks_plain_http(host: str, port: int, timeout: float) -> bool:
    """True when the port answers a plain HTTP request (no TLS at all)."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError):
        return False
    try:
        writer.write(f"HEAD / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.read(16), timeout)
        return head.startswith(b"HTTP/")
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()


def _explain(report: TlsReport, err: ssl.SSLCertVerificationError) -> None:
    code = err.verify_code
    report.verify_code = code
    message = err.verify_message or str(err)
    if code in SELF_SIGNED:
        report.kind = "self_signed"
        report.reason = f"self-signed certificate ({message}): clients will refuse it"
    elif code == EXPIRED:
        report.kind = "expired"
        report.reason = "certificate has expired"
    elif code == NOT_YET_VALID:
        report.kind = "not_yet_valid"
        report.reason = "certificate is not valid yet (check the server's clock)"
    elif code in HOSTNAME_MISMATCH:
        report.kind = "wrong_host"
        report.reason = f"certificate does not match the host name {report.host}"
    elif code in UNTRUSTED:
        report.kind = "untrusted"
        report.reason = f"certificate chain not trusted ({message}): serve the full chain or set ca_bundle"
    else:
        report.kind = "untrusted"
        report.reason = f"certificate verification failed: {message}"


async def probe_tls(host: str, port: int, settings: Settings | None, timeout: float | None = None) -> TlsReport:
    """Handshake with host:port, verifying the chain and host name; explain any failure."""
    timeout = timeout or ((settings.connect_timeout + settings.read_timeout) if settings else 8.0)
    report = TlsReport(host, port)
    if placeholder_host(host) is not None:
        report.kind, report.reason = "dns", f"not probed: {host} is a template placeholder"
        return report
    started = time.perf_counter()
    try:
        der, report.protocol, report.cipher = await _handshake(host, port, ssl_context(settings), timeout)
        describe_cert(der, report)
        if report.protocol in WEAK_PROTOCOLS:
            report.reason = f"outdated protocol {report.protocol}"
    except ssl.SSLCertVerificationError as err:
        _explain(report, err)
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE
        with contextlib.suppress(Exception):
            der, report.protocol, report.cipher = await _handshake(host, port, insecure, timeout)
            describe_cert(der, report)
        if report.kind == "wrong_host" and report.names:
            report.reason = f"certificate is for {', '.join(report.names[:4])}, not {host}"
        elif report.kind == "expired" and report.not_after:
            ago = -(report.days_left or 0)
            report.reason = f"certificate expired on {report.not_after[:10]} ({ago:.0f} days ago)"
    except ssl.SSLError as err:
        if await _speaks_plain_http(host, port, timeout):
            report.kind = "plain_http"
            report.reason = f"plain HTTP on a TLS port: {host}:{port} answers HTTP without TLS"
        else:
            report.kind = "handshake"
            report.reason = f"TLS handshake failed: {err.reason or err}"
    except (OSError, TimeoutError) as exc:
        if isinstance(exc, TimeoutError) and await _speaks_plain_http(host, port, min(timeout, 2.0)):
            report.kind = "plain_http"
            report.reason = f"plain HTTP on a TLS port: {host}:{port} answers HTTP without TLS"
        else:
            kind, error = _os_error(exc)
            report.kind = kind
            report.reason = error if kind != "timeout" else "TLS handshake timed out (the host accepted but never answered)"
    report.ms = (time.perf_counter() - started) * 1000
    return report
