"""Who counts as internal: client addresses against a list of networks (a setting such as
GATEWAY_INTERNAL_NETWORKS or REVIEW_UI_METRICS_NETWORKS, loopback by default)."""
import functools
import ipaddress

LOOPBACK = "127.0.0.0/8,::1/128"


def parse_networks(text):
    """`127.0.0.1/32, ::1, 10.0.0.0/8` -> networks; a bare address is a network of one."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


@functools.lru_cache(maxsize=4096)  # one parse per client address, not per request; bounded for hostile ones
def is_internal(address, networks):
    """Whether a client address falls in one of the networks; an unparsable address is not (an IPv4
    address written as IPv6, ::ffff:127.0.0.1, is read as IPv4)."""
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)
