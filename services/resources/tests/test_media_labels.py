from services.resources.contracts import duration_label


def test_a_duration_reads_as_players_show_it():
    assert (duration_label(2.04), duration_label(125.4), duration_label(3727), duration_label(None)) == (
        "0:02", "2:05", "1:02:07", None)
