from services.resources.topics import key, keys


def test_a_topic_is_matched_however_it_was_typed():
    assert key("科学防疫") == key(" 科学 防疫 ") == key("科学　防疫") == "科学防疫"  # ideographic space
    assert key("ＣＯＶＩＤ－19") == key("covid-19") == "covid-19"  # full-width forms, letters' case
    assert key("健康") != key("健康科普")


def test_a_resource_keeps_one_key_per_topic():
    assert keys(["科学防疫", "科学 防疫", " ", "健康"]) == ["科学防疫", "健康"]

