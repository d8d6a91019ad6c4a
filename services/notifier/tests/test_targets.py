"""is_forbidden_address: the network ranges a webhook may never reach."""

from __future__ import annotations

import pytest
from tradeplane.notifier.domain.targets import is_forbidden_address


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",  # loopback
        "10.0.0.1",  # private
        "172.16.5.4",  # private
        "192.168.1.1",  # private
        "169.254.169.254",  # link-local (cloud metadata)
        "100.64.0.1",  # CGNAT
        "100.127.255.254",  # CGNAT
        "224.0.0.251",  # multicast
        "240.0.0.1",  # reserved
        "0.0.0.0",  # unspecified
        "255.255.255.255",  # broadcast
        "::1",  # loopback
        "::",  # unspecified
        "fe80::1",  # link-local
        "fc00::1",  # unique local
        "ff02::1",  # multicast
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",  # IPv4-mapped private
        "::ffff:169.254.169.254",  # IPv4-mapped link-local
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    ],
)
def test_internal_address_is_forbidden(address: str) -> None:
    assert is_forbidden_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_address_is_allowed(address: str) -> None:
    assert not is_forbidden_address(address)
