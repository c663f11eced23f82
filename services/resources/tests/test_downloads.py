"""The download counting rules alone: who is a visitor, the 30-second double-click window, robots."""
from datetime import datetime, timedelta, timezone

import pytest

from services.resources import downloads

T0 = datetime(2026, 9, 1, 2, 0, tzinfo=timezone.utc)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
BROWSERS = [
    FIREFOX,
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
    "MicroMessenger/8.0.44(0x18002c2e) NetType/WIFI Language/zh_CN",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/94.0.4606.71 "
    "Safari/537.36 Core/1.94.218.400 QQBrowser/12.1.5496.400",
    "Mozilla/5.0 (Linux; Android 14; SM-S9180) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile "
    "Safari/537.36 baiduboxapp/13.50.0.10",
    "Mozilla/5.0 (Linux; Android 10; HarmonyOS; ALN-AL00) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
    "Chrome/99.0.4844.88 HuaweiBrowser/14.0.0.300 Mobile Safari/537.36",
]
ROBOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; "
    "Bytespider; spider-feedback@bytedance.com)",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/535.1 (KHTML, like Gecko) Chrome/14.0.835.163 Safari/535.1 "
    "YisouSpider",
    "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0);360Spider",
    "curl/8.5.0", "Wget/1.21.4", "python-requests/2.32.3", "python-httpx/0.27.0", "Go-http-client/1.1",
    "", "   ",
]


@pytest.mark.parametrize("agent", BROWSERS)
def test_people_with_browsers_are_not_robots(agent):
    assert not downloads.is_robot(agent)
    assert downloads.outcome(agent, None, T0) == downloads.COUNTED


@pytest.mark.parametrize("agent", ROBOTS)
def test_robots_and_scripts_are_never_counted(agent):
    assert downloads.is_robot(agent)
    assert downloads.outcome(agent, None, T0) == downloads.ROBOT


def test_an_internal_caller_that_does_not_say_is_not_judged_a_robot():
    assert not downloads.is_robot(None) and downloads.outcome(None, None, T0) == downloads.COUNTED


@pytest.mark.parametrize("gap,expected", [(0, downloads.DOUBLE_CLICKED), (1, downloads.DOUBLE_CLICKED),
                                          (30, downloads.DOUBLE_CLICKED), (30.001, downloads.COUNTED),
                                          (3600, downloads.COUNTED)])
def test_the_double_click_window_is_30_seconds(gap, expected):
    assert downloads.outcome(FIREFOX, T0, T0 + timedelta(seconds=gap)) == expected


def test_a_robot_is_a_robot_even_after_a_pause():
    assert downloads.outcome("curl/8.5.0", T0, T0 + timedelta(hours=1)) == downloads.ROBOT


def test_a_signed_in_visitor_is_the_user_wherever_they_are():
    assert downloads.visitor_key("u-1", "10.0.0.1", FIREFOX) == downloads.visitor_key("u-1", "10.9.9.9", BROWSERS[1])
    assert downloads.visitor_key("u-1", "10.0.0.1", FIREFOX) != downloads.visitor_key("u-2", "10.0.0.1", FIREFOX)


def test_an_anonymous_visitor_is_the_address_with_the_browser():
    same = downloads.visitor_key(None, "10.0.0.1", FIREFOX)
    assert same == downloads.visitor_key(None, "10.0.0.1", FIREFOX) and same.startswith("anon:")
    assert same != downloads.visitor_key(None, "10.0.0.2", FIREFOX)  # another address
    assert same != downloads.visitor_key(None, "10.0.0.1", BROWSERS[1])  # another browser behind the same address
    assert "10.0.0.1" not in same and "Firefox" not in same
    assert downloads.visitor_key(None, "10.0.0.1", FIREFOX + "x" * 5000) == \
        downloads.visitor_key(None, "10.0.0.1", FIREFOX + "x" * 6000)  # cut where it is stored


@pytest.mark.parametrize("agent", ["GOOGLEBOT/2.1 (+http://www.google.com/bot.html)", "CURL/8.5.0", "WGET/1.21",
                                   "PYTHON-REQUESTS/2.32", "mozilla/5.0 (compatible; BAIDUSPIDER/2.0)",
                                   "Mozilla/5.0 (compatible; BingBOT/2.0)", "yisouspider"])
def test_robots_are_robots_whatever_their_case(agent):
    assert downloads.is_robot(agent)


@pytest.mark.parametrize("agent", [
    "Mozilla/5.0 (Linux; Android 10; SM-G9750) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
    "Chrome/80.0.3987.99 Mobile Safari/537.36 SogouMobileBrowser/5.28.4",
    "Mozilla/5.0 (Linux; Android 10; CUBOT_X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/80.0.3987.87 Safari/537.36 "
    "SE 2.X MetaSr 1.0",
])
def test_browsers_whose_tokens_read_as_robot_words_without_case_are_people(agent):
    assert not downloads.is_robot(agent)


@pytest.mark.parametrize("address, network", [
    ("203.0.113.77", "203.0.113.0/24"), ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ("::ffff:198.51.100.9", "198.51.100.0/24"), ("", ""), ("not an address", ""),
])
def test_an_address_counts_with_its_network(address, network):
    assert downloads.network_of(address) == network


def test_an_address_and_its_network_have_caps_per_resource():
    assert downloads.outcome(FIREFOX, None, T0, downloads.ADDRESS_CAP - 1, 0) == downloads.COUNTED
    assert downloads.outcome(FIREFOX, None, T0, downloads.ADDRESS_CAP, 0) == downloads.CAPPED
    assert downloads.outcome(FIREFOX, None, T0, 0, downloads.NETWORK_CAP - 1) == downloads.COUNTED
    assert downloads.outcome(FIREFOX, None, T0, 1, downloads.NETWORK_CAP) == downloads.CAPPED
    # the double-click rule and robots come first: they are not counted against the cap either
    assert downloads.outcome(FIREFOX, T0, T0, downloads.ADDRESS_CAP, 0) == downloads.DOUBLE_CLICKED
    assert downloads.outcome("curl/8", None, T0, downloads.ADDRESS_CAP, 0) == downloads.ROBOT
