"""check_url: scheme, credentials and every resolved address are checked before a URL is used."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from tradeplane.notifier.adapters.ssrf import RefusalCode, UrlRefused, check_url


def fixed_resolver(*addresses: str):
    async def resolve(host: str, port: int) -> Sequence[str]:
        return addresses

    return resolve


async def refusal(url: str, *, allow_http: bool = False, allow_private: bool = False, resolver=None) -> str:
    kwargs = {"resolver": resolver} if resolver else {}
    with pytest.raises(UrlRefused) as caught:
        await check_url(url, allow_http=allow_http, allow_private=allow_private, **kwargs)
    return caught.value.code


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://[fe80::1]/hook",
        "https://224.0.0.1/hook",
    ],
)
async def test_internal_address_literal_is_refused_as_private_target(url: str) -> None:
    assert await refusal(url) == RefusalCode.PRIVATE_TARGET


async def test_localhost_name_resolving_to_loopback_is_refused() -> None:
    assert await refusal("https://localhost/hook") == RefusalCode.PRIVATE_TARGET


async def test_decimal_encoded_loopback_host_is_refused() -> None:
    assert await refusal("https://2130706433/hook") == RefusalCode.PRIVATE_TARGET


async def test_host_with_one_private_address_among_public_ones_is_refused() -> None:
    resolver = fixed_resolver("93.184.216.34", "10.0.0.7")

    assert await refusal("https://mixed.example/hook", resolver=resolver) == RefusalCode.PRIVATE_TARGET


async def test_http_scheme_is_refused_by_default() -> None:
    assert await refusal("http://93.184.216.34/hook") == RefusalCode.SCHEME_NOT_ALLOWED


async def test_other_scheme_is_refused_even_with_http_allowed() -> None:
    assert await refusal("ftp://93.184.216.34/hook", allow_http=True) == RefusalCode.SCHEME_NOT_ALLOWED


async def test_credentials_in_url_are_refused() -> None:
    assert await refusal("https://user:pass@93.184.216.34/hook") == RefusalCode.CREDENTIALS_NOT_ALLOWED


@pytest.mark.parametrize("url", ["not a url", "https:///no-host", "https://93.184.216.34:99999/", ""])
async def test_malformed_url_is_refused_as_invalid(url: str) -> None:
    assert await refusal(url) == RefusalCode.INVALID_URL


async def test_unknown_host_is_refused_as_unresolvable() -> None:
    assert await refusal("https://no-such-host.invalid/hook") == RefusalCode.UNRESOLVABLE


async def test_loopback_is_allowed_when_private_targets_are_allowed() -> None:
    target = await check_url("https://127.0.0.1:8443/hook", allow_http=False, allow_private=True)

    assert (target.host, target.port, target.addresses) == ("127.0.0.1", 8443, ("127.0.0.1",))


async def test_http_is_allowed_when_http_is_allowed() -> None:
    target = await check_url("http://93.184.216.34/hook", allow_http=True, allow_private=False)

    assert (target.scheme, target.port) == ("http", 80)


async def test_public_host_returns_every_resolved_address() -> None:
    resolver = fixed_resolver("93.184.216.34", "2606:2800:220:1::1")

    target = await check_url(
        "https://example.test/hook", allow_http=False, allow_private=False, resolver=resolver
    )

    assert target.addresses == ("93.184.216.34", "2606:2800:220:1::1")
