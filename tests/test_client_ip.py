"""The client address for login throttling trusts X-Forwarded-For only as
far as the configured proxies wrote it."""

from fraudsite.client_ip import forwarded_client

PEER = "10.0.0.1"


def test_without_proxies_the_peer_is_the_client():
    assert forwarded_client("198.51.100.1", proxy_count=0, peer=PEER) == PEER


def test_one_proxy_appends_the_client():
    header = "198.51.100.1, 203.0.113.5"
    assert forwarded_client(header, proxy_count=1, peer=PEER) == "203.0.113.5"


def test_two_proxies_the_client_is_second_from_the_right():
    header = "198.51.100.1,203.0.113.5, 10.0.0.9"
    assert forwarded_client(header, proxy_count=2, peer=PEER) == "203.0.113.5"


def test_a_header_shorter_than_the_proxy_chain_falls_back_to_the_peer():
    assert forwarded_client("203.0.113.5", proxy_count=2, peer=PEER) == PEER
    assert forwarded_client("", proxy_count=1, peer=PEER) == PEER
