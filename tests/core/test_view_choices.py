from tf_tui.core.view_choices import ViewChoicesFile


def test_each_section_is_kept_per_backend_and_set_without_touching_the_others(tmp_path):
    path = tmp_path / "view.json"
    ViewChoicesFile(path).set("http://a:8084", "runs", {"sort": "loss"})
    ViewChoicesFile(path).set("http://a:8084/", "chart", {"smoothing": 0.9})
    ViewChoicesFile(path).set("http://b:8084", "runs", {"sort": "status"})

    again = ViewChoicesFile(path)
    assert again.get("http://a:8084", "runs") == {"sort": "loss"}
    assert again.get("http://a:8084", "chart") == {"smoothing": 0.9}
    assert again.get("http://b:8084", "runs") == {"sort": "status"}
    assert again.get("http://b:8084", "chart") == {}


def test_a_section_that_is_not_a_table_reads_as_none_kept(tmp_path):
    path = tmp_path / "view.json"
    path.write_text('{"version": 1, "backends": {"http://a:8084": {"runs": [1, 2]}}}')
    assert ViewChoicesFile(path).get("http://a:8084", "runs") == {}


def test_the_choices_move_with_a_local_server_that_came_back_on_another_port(tmp_path):
    path = tmp_path / "view.json"
    ViewChoicesFile(path).set("http://127.0.0.1:4000", "chart", {"window": 100})
    ViewChoicesFile(path).move("http://127.0.0.1:4000", "http://127.0.0.1:5000")
    assert ViewChoicesFile(path).get("http://127.0.0.1:5000", "chart") == {"window": 100}
