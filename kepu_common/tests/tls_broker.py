"""A TLS listener on the test RabbitMQ, with certificates made here (kepu_common/tests/test_tls_transport.py).

The local node gets a second listener at run time (`rabbitmqctl eval rabbit_networking:start_ssl_listener`),
on a free port, with a CA and a server certificate for 127.0.0.1 written to a directory the broker can
read; the listener is stopped again afterwards. The plain listener on 5672, which other runs use, is not
touched.
"""
import datetime
import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

RABBITMQCTL = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_certificates(directory):
    """ca.pem, server.pem and server-key.pem in directory; returns their paths."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = _key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kepu test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    server_key = _key()
    server = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])).issuer_name(ca_name)
              .public_key(server_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                          x509.DNSName("localhost")]), critical=False)
              .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
    directory = Path(directory)
    paths = {"ca": directory / "ca.pem", "cert": directory / "server.pem", "key": directory / "server-key.pem"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(_pem_key(server_key))
    for path in paths.values():
        os.chmod(path, 0o644)  # the broker runs as its own user
    return paths


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _eval(expression):
    done = subprocess.run([RABBITMQCTL, "eval", expression], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl eval failed: {done.stdout}{done.stderr}")
    return done.stdout.strip()


class TlsListener:
    """Context manager: yields (port, ca_path) of a TLS listener on the local RabbitMQ node."""

    def __enter__(self):
        self._directory = tempfile.mkdtemp(prefix="kepu-tls-")
        os.chmod(self._directory, 0o755)
        paths = make_certificates(self._directory)
        self.port = free_port()
        self.ca = str(paths["ca"])
        options = (f'[{{certfile,"{paths["cert"]}"}},{{keyfile,"{paths["key"]}"}},{{cacertfile,"{paths["ca"]}"}},'
                   "{verify,verify_none},{fail_if_no_peer_cert,false}]")
        answer = _eval(f'rabbit_networking:start_ssl_listener({{"127.0.0.1",{self.port}}},{options},1,1).')
        if answer != "ok":
            raise RuntimeError(f"the TLS listener did not start: {answer}")
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        return self

    def uri(self, vhost="/"):
        return f"amqps://guest:guest@127.0.0.1:{self.port}/{vhost.replace('/', '%2F')}"

    def __exit__(self, *exc):
        try:
            _eval(f'rabbit_networking:stop_tcp_listener({{"127.0.0.1",{self.port}}}).')
        finally:
            shutil.rmtree(self._directory, ignore_errors=True)
